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
        // nginx's $request_id is 32 hex digits; anything else (or none) gets an id of our own.
        let given = params["REQUEST_ID"].flatMap { id in
            (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { $0 < 0x80 && (Character(Unicode.Scalar($0)).isHexDigit || $0 == UInt8(ascii: "-")) } ? id : nil
        }
        self.init(
            method: params["REQUEST_METHOD"] ?? "GET",
            path: path,
            query: params["QUERY_STRING"] ?? "",
            headers: headers,
            body: body,
            bodyExceedsLimit: bodyExceedsLimit,
            requestID: given ?? Self.newRequestID()
        )
    }

    /// 32 random hex digits, like nginx's `$request_id`.
    static func newRequestID() -> String {
        (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
