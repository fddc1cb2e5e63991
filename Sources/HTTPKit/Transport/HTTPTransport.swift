import Foundation

/// An outgoing HTTP request.
public struct TransportRequest: Sendable {
    /// Method, e.g. `POST`.
    public var method: String
    /// Absolute URL.
    public var url: String
    /// Header fields.
    public var headers: HTTPFields
    /// Body bytes, if any.
    public var body: [UInt8]?
    /// Seconds before the call fails with ``TransportError/timedOut``.
    public var timeout: TimeInterval

    /// Creates a request.
    public init(method: String, url: String, headers: HTTPFields = [:], body: [UInt8]? = nil, timeout: TimeInterval) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The first header value with this name (case-insensitive).
    public func header(_ name: String) -> String? { headers[name] }
}

/// A received HTTP response.
public struct TransportResponse: Sendable {
    /// Status.
    public var status: HTTPStatus
    /// Body bytes.
    public var body: [UInt8]
    /// Header fields.
    public var headers: HTTPFields

    /// Creates a response.
    public init(status: HTTPStatus, body: [UInt8], headers: HTTPFields = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// A header value by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name] }
}

/// Why no HTTP response was received.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer within the timeout.
    case timedOut
    /// The connection could not be made or broke.
    case unreachable(String)
    /// Not sent: this process already has as many calls to the target in flight as allowed.
    case atCapacity
    /// Not sent: the target kept failing, calls are paused; retry after this many seconds.
    case circuitOpen(retryAfter: Int)

    public var description: String {
        switch self {
        case .timedOut: return "timed out"
        case .unreachable(let reason): return "unreachable: \(reason)"
        case .atCapacity: return "not sent: too many calls in flight"
        case .circuitOpen(let seconds): return "not sent: calls paused after repeated failures (retry in \(seconds) s)"
        }
    }
}

/// Sends one HTTP request and blocks until the response or a failure.
///
/// Blocking is deliberate: callers are the worker's dedicated accept threads, never the Swift
/// concurrency pool. Production uses ``URLSessionTransport``; unit tests use a fake.
public protocol HTTPTransport: Sendable {
    /// Performs the request.
    func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse
}
