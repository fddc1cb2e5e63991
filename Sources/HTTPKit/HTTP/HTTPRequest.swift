import Foundation

/// An HTTP request as the application sees it, independent of how it arrived (FastCGI, tests).
public struct HTTPRequest: Sendable {
    /// Upper-case method (`GET`, `POST`, ...).
    public var method: String
    /// The path without the query, still percent-encoded.
    public var path: String
    /// The raw query string, without `?`.
    public var query: String
    /// The request's header fields.
    public var headers: HTTPFields
    /// The body bytes.
    public var body: [UInt8]
    /// True when the body was longer than the transport accepted.
    public var bodyExceedsLimit: Bool
    /// The id nginx gave this request (`$request_id`), for logs and `X-Request-Id`.
    public var requestID: String?

    /// Creates a request.
    public init(
        method: String,
        path: String,
        query: String = "",
        headers: HTTPFields = [:],
        body: [UInt8] = [],
        bodyExceedsLimit: Bool = false,
        requestID: String? = nil
    ) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyExceedsLimit = bodyExceedsLimit
        self.requestID = requestID
    }

    /// A header value by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name] }

    /// Decoded query parameters in order.
    public var queryItems: [(name: String, value: String)] { FormEncoding.decode(query) }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The media type of the body (`application/json`), lower-cased, without parameters.
    public var mediaType: String? {
        header("content-type").map {
            $0.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        }
    }

    /// True when the client prefers JSON over HTML (`Accept` names `application/json` and not
    /// `text/html`, or names JSON first).
    public var prefersJSON: Bool {
        guard let accept = header("accept")?.lowercased() else { return false }
        guard let json = accept.range(of: "application/json") ?? accept.range(of: "+json") else { return false }
        guard let html = accept.range(of: "text/html") else { return true }
        return json.lowerBound < html.lowerBound
    }
}
