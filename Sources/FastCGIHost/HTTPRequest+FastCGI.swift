import FastCGI
import PaymentsCore

extension HTTPRequest {
    /// Maps CGI parameters to a request: `REQUEST_URI` (raw, undecoded) gives the path,
    /// `HTTP_*`, `CONTENT_TYPE` and `CONTENT_LENGTH` give the headers.
    public init(fastCGI request: FastCGIRequest) {
        let params = request.params
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers[name.dropFirst(5).replacingOccurrences(of: "_", with: "-").lowercased()] = value
        }
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        if let length = params["CONTENT_LENGTH"], !length.isEmpty { headers["content-length"] = length }
        self.init(
            method: params["REQUEST_METHOD"] ?? "GET",
            path: path,
            query: params["QUERY_STRING"] ?? "",
            headers: headers,
            body: request.body,
            bodyExceedsLimit: request.bodyExceedsLimit
        )
    }
}

extension FastCGIResponse {
    public init(_ response: HTTPResponse) {
        self.init(status: response.status, headers: response.headers, body: response.body)
    }
}
