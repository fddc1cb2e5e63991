import Foundation
import HTTPKit

extension HTTPRequest {
    /// Maps CGI parameters to a request: `REQUEST_URI` (raw, undecoded) gives the path,
    /// `HTTP_*`, `CONTENT_TYPE` and `CONTENT_LENGTH` give the headers.
    init(cgiParams params: [String: String], body: [UInt8], bodyExceedsLimit: Bool) {
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        var headers = HTTPFields()
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers.append(name.dropFirst(5).replacingOccurrences(of: "_", with: "-").lowercased(), value)
        }
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers.append("content-type", type) }
        if let length = params["CONTENT_LENGTH"], !length.isEmpty { headers.append("content-length", length) }
        self.init(
            method: params["REQUEST_METHOD"] ?? "GET",
            path: path,
            query: params["QUERY_STRING"] ?? "",
            headers: headers,
            body: body,
            bodyExceedsLimit: bodyExceedsLimit
        )
    }
}
