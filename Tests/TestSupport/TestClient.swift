import Foundation
import HTTPClient
import HTTPKit
import PaymentsApp
import PaymentsSQL
import PaymentsSQLite
import ServiceSupport
import Testing

/// One client API for every test: the same test body can run in-process against the router
/// (``InProcessClient``) and live through nginx and the worker processes (``LiveClient``), as
/// Hummingbird's testing framework does.
///
/// A target is a path with an optional query (`/orders?limit=5`) or an absolute URL (a
/// redirect `Location`); the in-process client keeps only its path and query.
public protocol TestClient {
    /// Sends one request; redirects are returned, not followed.
    func send(_ method: String, _ target: String, body: [UInt8]?, headers: HTTPFields) throws -> TransportResponse
}

extension TestClient {
    /// A GET, by default asking for JSON.
    public func get(_ target: String, accept: String = "application/json", headers: HTTPFields = [:]) throws -> TransportResponse {
        var all = headers
        all.append("Accept", accept)
        return try send("GET", target, body: nil, headers: all)
    }

    /// A POST with a JSON (or other) body.
    public func postJSON(_ target: String, _ body: String, contentType: String = "application/json", headers: HTTPFields = [:]) throws -> TransportResponse {
        var all = headers
        all.append("Content-Type", contentType)
        all.append("Accept", "application/json")
        return try send("POST", target, body: Array(body.utf8), headers: all)
    }

    /// A POST of form fields, as a browser sends them.
    public func postForm(_ target: String, _ fields: [(String, String)], headers: HTTPFields = [:]) throws -> TransportResponse {
        var all = headers
        all.append("Content-Type", "application/x-www-form-urlencoded")
        return try send("POST", target, body: Array(FormEncoding.encode(fields).utf8), headers: all)
    }
}

/// Real HTTP over loopback with URLSession.
public struct LiveClient: TestClient, Sendable {
    /// Prefix for path targets, e.g. `http://127.0.0.1:4711`.
    public let baseURL: String
    /// Sent with every request (an `Authorization` header, say) unless the request sets it.
    public let defaultHeaders: HTTPFields
    // Room for load and fault tests: requests must queue in the service, never in the client.
    private let transport = URLSessionTransport(followRedirects: false, maxConnectionsPerHost: 512)

    /// A client for the service at `baseURL`.
    public init(baseURL: String, defaultHeaders: HTTPFields = [:]) {
        self.baseURL = baseURL
        self.defaultHeaders = defaultHeaders
    }

    /// The same client sending the bearer key `key` (or none).
    public func authorized(_ key: String?) -> LiveClient {
        var headers = defaultHeaders
        headers.remove("Authorization")
        if let key { headers.append("Authorization", "Bearer \(key)") }
        return LiveClient(baseURL: baseURL, defaultHeaders: headers)
    }

    public func send(_ method: String, _ target: String, body: [UInt8]? = nil, headers: HTTPFields = [:]) throws -> TransportResponse {
        let url = target.hasPrefix("/") ? baseURL + target : target
        var all = headers
        for field in defaultHeaders where all[field.name] == nil { all.append(field.name, field.value) }
        return try transport.send(TransportRequest(method: method, url: url, headers: all, body: body, timeout: 15))
    }
}

/// The service's router in this process, on a temporary SQLite file, with scripted Dintero
/// and card provider fakes.
public final class InProcessClient: TestClient {
    /// The Dintero fake the router uses.
    public let gateway = FakeGateway()
    /// The card provider fake the router uses.
    public let provider = FakeProvider()
    private let router: Router

    /// Builds the router from `environment` (as the worker would read it).
    public init(environment: [String: String] = [:]) throws {
        let connection = try temporaryDatabase()
        router = Application.router(
            configuration: try ServiceConfiguration.from(Environment(environment)),
            orders: SQLOrderStore(connection: connection),
            gateway: gateway,
            payments: SQLPaymentStore(connection: connection), idempotency: SQLIdempotencyStore(connection: connection),
            provider: provider,
            log: testLog
        )
    }

    public func send(_ method: String, _ target: String, body: [UInt8]? = nil, headers: HTTPFields = [:]) throws -> TransportResponse {
        var relative = Substring(target)
        if let scheme = relative.range(of: "://") {
            relative = relative[scheme.upperBound...].drop { $0 != "/" }
        }
        let parts = relative.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let response = router.respond(to: HTTPRequest(
            method: method,
            path: parts.first.map(String.init) ?? "/",
            query: parts.count > 1 ? String(parts[1]) : "",
            headers: headers,
            body: body ?? []
        ))
        return TransportResponse(status: response.status, body: response.body, headers: response.headers)
    }
}

extension TransportResponse {
    /// The body as JSON, or `null` when it is not JSON.
    public var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

extension JSONValue {
    /// The member `key` as text; records an issue naming it and throws when it is missing or
    /// not a string (never a crash of the whole test process).
    public func string(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(self[key]?.stringValue, "\(key) is not a string in \(self)", sourceLocation: sourceLocation)
    }

    /// The member `key` as an integer; records an issue naming it and throws otherwise.
    public func integer(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        try #require(self[key]?.integerValue, "\(key) is not an integer in \(self)", sourceLocation: sourceLocation)
    }
}
