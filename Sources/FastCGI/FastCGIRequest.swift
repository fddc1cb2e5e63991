/// One request as the web server forwarded it: CGI parameters and the body.
public struct FastCGIRequest: Sendable {
    /// CGI/1.1 parameters (`REQUEST_METHOD`, `DOCUMENT_URI`, `QUERY_STRING`, `HTTP_*`, ...).
    public let params: [String: String]
    /// The request body, at most the server's body limit.
    public let body: [UInt8]
    /// True when the body was longer than the limit and was cut; the handler should answer 413.
    public let bodyExceedsLimit: Bool

    /// Creates a request value.
    public init(params: [String: String], body: [UInt8], bodyExceedsLimit: Bool = false) {
        self.params = params
        self.body = body
        self.bodyExceedsLimit = bodyExceedsLimit
    }
}

/// One response: status, headers and body, written as a CGI response with `Status:` first.
public struct FastCGIResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Header lines in order; names as they should appear on the wire.
    public var headers: [(name: String, value: String)]
    /// The response body.
    public var body: [UInt8]

    /// Creates a response value.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
