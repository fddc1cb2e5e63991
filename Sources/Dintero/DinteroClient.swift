import Foundation
import HTTPKit
import PaymentsDomain
import ServiceSupport
import Synchronization

/// Dintero client over an ``HTTPTransport``.
///
/// The access token is cached per process, shared by all threads, refreshed ahead of expiry
/// and once more when a call answers 401. Only one thread fetches a token at a time.
public final class DinteroClient: PaymentGateway {
    private struct Token {
        let value: String
        let refreshAfter: Date
    }

    private let configuration: DinteroConfiguration
    private let transport: HTTPTransport
    private let clock: WallClock
    private let log: Logger
    private let token = Mutex<Token?>(nil)
    private let refreshing = NSLock()

    /// Creates a client.
    public init(configuration: DinteroConfiguration, transport: HTTPTransport, clock: WallClock = SystemClock(), log: Logger) {
        self.configuration = configuration
        self.transport = transport
        self.clock = clock
        self.log = log
    }

    public func createSession(_ request: SessionRequest) throws(GatewayError) -> CheckoutSession {
        let response = try authorized(
            method: "POST",
            url: "\(configuration.checkoutBaseURL)/v1/sessions-profile",
            body: request.body(profileID: configuration.profileID)
        )
        guard response.status.isSuccess else { throw Self.failure(response) }
        let json = try Self.json(response)
        guard let id = json["id"]?.stringValue, !id.isEmpty,
              let url = json["url"]?.stringValue, url.hasPrefix("http") else {
            throw .invalidResponse("session without id or url")
        }
        return CheckoutSession(id: id, url: url)
    }

    public func transaction(id: String) throws(GatewayError) -> GatewayTransaction? {
        try fetch("/v1/transactions/", id, as: "transaction without id, status, amount or currency", GatewayTransaction.init(json:))
    }

    public func session(id: String) throws(GatewayError) -> GatewaySession? {
        try fetch("/v1/sessions/", id, as: "session without id", GatewaySession.init(json:))
    }

    public func perform(_ operation: OperationRequest) throws(GatewayError) -> OperationAnswer {
        let response = try authorized(
            method: "POST",
            url: "\(configuration.checkoutBaseURL)/v1/transactions/\(FormEncoding.percentEncode(operation.transactionID))/\(operation.kind.rawValue)",
            body: operation.body
        )
        if response.status == 202 { return .accepted(requestID: response.headers["event-request-id"]) }
        guard response.status.isSuccess else { throw Self.failure(response) }
        guard let transaction = GatewayTransaction(json: try Self.json(response)) else {
            throw .invalidResponse("\(operation.kind.rawValue) answer without a transaction")
        }
        return .completed(transaction)
    }

    public func cancelSession(id: String) throws(GatewayError) -> GatewaySession {
        let response = try authorized(method: "POST", url: "\(configuration.checkoutBaseURL)/v1/sessions/\(FormEncoding.percentEncode(id))/cancel", body: nil)
        guard response.status.isSuccess else { throw Self.failure(response) }
        guard let session = GatewaySession(json: try Self.json(response)) else { throw .invalidResponse("cancel answer without a session") }
        return session
    }

    /// `GET {checkout}{path}{id}`: nil on 404, the decoded document on 2xx.
    private func fetch<T>(_ path: String, _ id: String, as missing: String, _ decode: (JSONValue) -> T?) throws(GatewayError) -> T? {
        let response = try authorized(
            method: "GET",
            url: "\(configuration.checkoutBaseURL)\(path)\(FormEncoding.percentEncode(id))",
            body: nil
        )
        if response.status == 404 { return nil }
        guard response.status.isSuccess else { throw Self.failure(response) }
        guard let value = decode(try Self.json(response)) else { throw .invalidResponse(missing) }
        return value
    }

    /// Sends a call with a bearer token; on 401 refreshes the token once and retries.
    private func authorized(method: String, url: String, body: JSONValue?) throws(GatewayError) -> TransportResponse {
        var bearer = try currentToken()
        for attempt in 0..<2 {
            var headers: HTTPFields = [
                ("Authorization", "Bearer \(bearer)"),
                ("Accept", "application/json"),
            ]
            if body != nil { headers.append("Content-Type", "application/json") }
            let request = TransportRequest(method: method, url: url, headers: headers, body: body?.serialized, timeout: configuration.timeout)
            let response: TransportResponse
            do {
                response = try transport.send(request)
            } catch {
                throw GatewayError(error)
            }
            guard response.status == 401 else { return response }
            guard attempt == 0 else { break }
            log.info("Dintero answered 401 to \(method) \(url); refreshing the access token")
            bearer = try refreshToken(replacing: bearer)
        }
        throw .authenticationFailed(status: 401)
    }

    private func currentToken() throws(GatewayError) -> String {
        let now = clock.now()
        if let cached = token.withLock({ $0 }), now < cached.refreshAfter {
            return cached.value
        }
        return try refreshToken(replacing: nil)
    }

    /// Fetches a new token unless another thread already replaced `stale` meanwhile.
    private func refreshToken(replacing stale: String?) throws(GatewayError) -> String {
        refreshing.lock()
        defer { refreshing.unlock() }
        let now = clock.now()
        if let cached = token.withLock({ $0 }), cached.value != stale, now < cached.refreshAfter {
            return cached.value
        }
        let fresh: Token
        do {
            fresh = try fetchToken(now: now)
        } catch .serverError(let status) {
            // Without a token the call itself was never sent: retryable, never a refusal of it
            // (a 429 arrives here as `.busy` already).
            log.warning("no Dintero access token: the token request answered \(status)")
            throw .busy(retryAfter: 2)
        }
        token.withLock { $0 = fresh }
        return fresh.value
    }

    private func fetchToken(now: Date) throws(GatewayError) -> Token {
        let credentials = Data("\(configuration.clientID):\(configuration.clientSecret)".utf8).base64EncodedString()
        let body: JSONValue = .object([
            ("grant_type", .string("client_credentials")),
            ("audience", .string(configuration.audience)),
        ])
        let request = TransportRequest(
            method: "POST",
            url: "\(configuration.apiBaseURL)/v1/accounts/\(configuration.accountID)/auth/token",
            headers: [("Authorization", "Basic \(credentials)"), ("Content-Type", "application/json"), ("Accept", "application/json")],
            body: body.serialized,
            timeout: configuration.timeout
        )
        let response: TransportResponse
        do {
            response = try transport.send(request)
        } catch {
            throw GatewayError(error)
        }
        if response.status == 401 || response.status == 403 { throw .authenticationFailed(status: response.status.code) }
        guard response.status.isSuccess else { throw Self.failure(response) }
        let json = try Self.json(response)
        guard let value = json["access_token"]?.stringValue, !value.isEmpty,
              let lifetime = json["expires_in"]?.integerValue, lifetime > 0 else {
            throw .invalidResponse("token response without access_token or expires_in")
        }
        // Refresh ahead of expiry: with 10% of the lifetime (at most 5 minutes) left.
        let margin = min(300, Double(lifetime) / 10)
        return Token(
            value: value,
            refreshAfter: now + Double(lifetime) - margin
        )
    }

    private static func json(_ response: TransportResponse) throws(GatewayError) -> JSONValue {
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw .invalidResponse("body is not JSON: \(error)")
        }
    }

    private static func failure(_ response: TransportResponse) -> GatewayError {
        if response.status.isServerError { return .serverError(status: response.status.code) }
        // 429 (in the spec's answers): not processed, try again later; never a final refusal.
        if response.status.code == 429 {
            return .busy(retryAfter: response.headers["retry-after"].flatMap { Int($0) }.map { min(max($0, 1), 60) } ?? 2)
        }
        let message = (try? JSONValue.parse(response.body))?["error"]?["message"]?.stringValue ?? "no message"
        return .rejected(status: response.status.code, message: String(message.prefix(200)))
    }
}
