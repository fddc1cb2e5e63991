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
        header("content-type").map(Self.mediaType(of:))
    }

    /// The media type of a `Content-Type` value: before any `;`, trimmed, lowercased.
    static func mediaType(of value: String) -> String {
        let utf8 = value.utf8
        // An ASCII value (every real one) byte by byte, without Foundation on the request path;
        // the rest as before (`split` skips a leading empty part: ";x" is "x").
        guard utf8.first != UInt8(ascii: ";"), utf8.allSatisfy({ $0 < 0x80 }) else {
            return value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        }
        var start = utf8.startIndex
        var end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        while start < end, isSpace(utf8[start]) { utf8.formIndex(after: &start) }
        while end > start, isSpace(utf8[utf8.index(before: end)]) { utf8.formIndex(before: &end) }
        return String(decoding: utf8[start..<end].map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
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
