/// An HTTP response produced by a handler.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// Header fields in order.
    public var headers: HTTPFields
    /// The body bytes.
    public var body: [UInt8]
    /// The route pattern that answered (`/orders/:id`), for logs and metrics; not sent.
    public var route: String?
    /// The `Content-Length` to send when it is not the body's: the `GET`'s length for a `HEAD`.
    public var contentLength: Int?
    /// Set on a response that is not ready yet (see ``later(_:)``): the server keeps the
    /// request open, frees its thread, and calls this once with the function that sends the
    /// real answer.
    public var deferred: (@Sendable (_ reply: @escaping Reply) -> Void)?

    /// Sends a deferred request's answer; called exactly once, from any thread.
    public typealias Reply = @Sendable (HTTPResponse) -> Void

    /// Creates a response.
    public init(status: HTTPStatus, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response.
    public static func json(_ value: JSONValue, status: HTTPStatus = .ok) -> HTTPResponse {
        json(status: status) { $0.value(value) }
    }

    /// A JSON response whose body `write` writes straight into bytes (see ``JSONWriter``).
    public static func json<E: Error>(status: HTTPStatus = .ok, capacity: Int = 256, _ write: (inout JSONWriter) throws(E) -> Void) throws(E) -> HTTPResponse {
        var writer = JSONWriter(capacity: capacity)
        try write(&writer)
        return HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
            body: writer.bytes
        )
    }

    /// An HTML response.
    public static func html(_ page: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            body: Array(page.utf8)
        )
    }

    /// A redirect to `location`.
    public static func redirect(to location: String, status: HTTPStatus = .seeOther) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Location", location), ("Cache-Control", "no-store")])
    }

    /// An answer that comes later, from another thread: `start` runs once the server has
    /// parked the request (its thread goes back to accepting) and must call `reply` exactly
    /// once. For work that waits on something else (an outbound call, a timer).
    public static func later(_ start: @escaping @Sendable (_ reply: @escaping Reply) -> Void) -> HTTPResponse {
        var response = HTTPResponse(status: .ok)
        response.deferred = start
        return response
    }

    /// The value of the first header with this name (case-insensitive).
    public func header(_ name: String) -> String? { headers[name] }
}

/// Anything that answers requests: a ``Router``, or a test double.
public protocol HTTPResponder {
    /// Answers one request; never throws (errors are rendered as responses).
    func respond(to request: HTTPRequest) -> HTTPResponse
}
