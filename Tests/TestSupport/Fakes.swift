import Dintero
import Foundation
import HTTPKit
import PaymentsDomain
import PaymentsSQL
import PaymentsSQLite
import ServiceSupport
import SQL
import SQLite
import Synchronization

/// A transport that answers from a script and records every request.
public final class FakeTransport: HTTPTransport {
    public typealias Responder = @Sendable (TransportRequest) throws(TransportError) -> TransportResponse
    private struct State {
        var responder: Responder
        var requests: [TransportRequest] = []
    }

    private let state: Mutex<State>

    /// Answers every request with `responder`.
    public init(_ responder: @escaping Responder) { state = Mutex(State(responder: responder)) }

    public func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        let responder = state.withLock { state -> Responder in
            state.requests.append(request)
            return state.responder
        }
        return try responder(request)
    }

    /// Every request sent so far.
    public var sentRequests: [TransportRequest] { state.withLock { $0.requests } }

    /// The requests whose URL ends in or contains `suffix`.
    public func requests(to suffix: String) -> [TransportRequest] {
        sentRequests.filter { $0.url.hasSuffix(suffix) || $0.url.contains(suffix) }
    }
}

extension TransportResponse {
    /// A JSON answer with `text` as its body.
    public static func json(_ text: String, status: HTTPStatus = .ok) -> TransportResponse {
        TransportResponse(status: status, body: Array(text.utf8))
    }
}

/// A gateway with scripted results, for controller tests.
public final class FakeGateway: PaymentGateway {
    private struct State {
        var sessionFailure: GatewayError?
        var transactions: [String: GatewayTransaction] = [:]
        var transactionError: GatewayError?
        var sessionRequests: [SessionRequest] = []
        var sessions: [String: GatewaySession] = [:]
        var sessionError: GatewayError?
        var operations: [OperationRequest] = []
        var operationError: GatewayError?
        var losesAnswers = false
    }

    private let state = Mutex(State())

    /// Creates a gateway that issues sessions `T1.session-1`, `-2`, ... and knows no transactions.
    public init() {}

    /// A failure to answer session creation with; nil issues sessions.
    public var sessionFailure: GatewayError? {
        get { state.withLock { $0.sessionFailure } }
        set { state.withLock { $0.sessionFailure = newValue } }
    }

    /// The transactions `transaction(id:)` knows.
    public var transactions: [String: GatewayTransaction] {
        get { state.withLock { $0.transactions } }
        set { state.withLock { $0.transactions = newValue } }
    }

    /// A failure to answer transaction reads with.
    public var transactionError: GatewayError? {
        get { state.withLock { $0.transactionError } }
        set { state.withLock { $0.transactionError = newValue } }
    }

    /// The sessions `session(id:)` knows: every created one, open, until a test changes it.
    public var sessions: [String: GatewaySession] {
        get { state.withLock { $0.sessions } }
        set { state.withLock { $0.sessions = newValue } }
    }

    /// A failure to answer session reads with.
    public var sessionError: GatewayError? {
        get { state.withLock { $0.sessionError } }
        set { state.withLock { $0.sessionError = newValue } }
    }

    /// Marks a created session as cancelled by the shopper, as Dintero records it.
    public func markCancelled(_ id: String) {
        state.withLock { $0.sessions[id]?.isCancelled = true }
    }

    /// Every session request received.
    public var sessionRequests: [SessionRequest] { state.withLock { $0.sessionRequests } }

    public func createSession(_ request: SessionRequest) throws(GatewayError) -> CheckoutSession {
        let (failure, count) = state.withLock { state in
            state.sessionRequests.append(request)
            return (state.sessionFailure, state.sessionRequests.count)
        }
        if let failure { throw failure }
        let id = "T1.session-\(count)"
        state.withLock {
            $0.sessions[id] = GatewaySession(id: id, merchantReference: request.merchantReference)
        }
        return CheckoutSession(id: id, url: "https://pay.example/v1/view/\(id)")
    }

    public func session(id: String) throws(GatewayError) -> GatewaySession? {
        let (error, session) = state.withLock { ($0.sessionError, $0.sessions[id]) }
        if let error { throw error }
        return session
    }

    public func transaction(id: String) throws(GatewayError) -> GatewayTransaction? {
        let (error, transaction) = state.withLock { ($0.transactionError, $0.transactions[id]) }
        if let error { throw error }
        return transaction
    }

    /// Every capture, refund and void received.
    public var operations: [OperationRequest] { state.withLock { $0.operations } }

    /// A failure to answer operations with (after recording them).
    public var operationError: GatewayError? {
        get { state.withLock { $0.operationError } }
        set { state.withLock { $0.operationError = newValue } }
    }

    /// Applies operations but answers as if the answer were lost (timed out).
    public var losesAnswers: Bool {
        get { state.withLock { $0.losesAnswers } }
        set { state.withLock { $0.losesAnswers = newValue } }
    }

    /// Applies the operation to the known transaction as Dintero would (event, totals, status).
    public func perform(_ operation: OperationRequest) throws(GatewayError) -> OperationAnswer {
        let result: Result<GatewayTransaction, GatewayError> = state.withLock { state in
            state.operations.append(operation)
            if let error = state.operationError { return .failure(error) }
            guard var transaction = state.transactions[operation.transactionID] else { return .failure(.rejected(status: 404, message: "unknown")) }
            transaction.events.append(.init(operation: operation.kind, success: true, amount: operation.amount, reference: operation.reference))
            transaction.status = operation.kind == .void ? .authorizationVoided : DinteroStatus.orderStatus(DinteroStatus.afterOperations(
                amount: transaction.amount, captured: transaction.capturedAmount, refunded: transaction.refundedAmount
            ))
            state.transactions[transaction.id] = transaction
            return state.losesAnswers ? .failure(.timedOut) : .success(transaction)
        }
        return .completed(try result.get())
    }

    public func cancelSession(id: String) throws(GatewayError) -> GatewaySession {
        let session = state.withLock { state -> GatewaySession? in
            guard var session = state.sessions[id], session.transactionID == nil else { return nil }
            session.isCancelled = true
            state.sessions[id] = session
            return session
        }
        guard let session else { throw .rejected(status: 400, message: "session cannot be cancelled") }
        return session
    }
}

/// A provider with a scripted outcome that records the charges it saw.
public final class FakeProvider: PaymentProvider {
    private struct State {
        var result: Result<ProviderOutcome, ProviderError> = .success(ProviderOutcome(approved: true, paymentID: "pay_1"))
        var charges: [ProviderCharge] = []
    }

    private let state = Mutex(State())

    /// Creates a provider that approves every charge as `pay_1`.
    public init() {}

    /// What the next charges answer.
    public var result: Result<ProviderOutcome, ProviderError> {
        get { state.withLock { $0.result } }
        set { state.withLock { $0.result = newValue } }
    }

    /// Every charge received.
    public var charges: [ProviderCharge] { state.withLock { $0.charges } }

    /// How many charges were received.
    public var chargeCount: Int { state.withLock { $0.charges.count } }

    public func charge(_ charge: ProviderCharge) throws(ProviderError) -> ProviderOutcome {
        let result = state.withLock { state in
            state.charges.append(charge)
            return state.result
        }
        return try result.get()
    }
}

/// A migrated database in a fresh temporary directory.
public func temporaryDatabase() throws -> Connection {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payments-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return try Schema.openAndMigrate(path: directory.appendingPathComponent("orders.sqlite").path)
}

/// A migrated database with an order store on it.
public func temporaryStore() throws -> (SQLOrderStore<Connection>, Connection) {
    let connection = try temporaryDatabase()
    return (SQLOrderStore(connection: connection), connection)
}

/// A request with an optional JSON (or other) body.
public func jsonRequest(_ method: String, _ path: String, body: String?, contentType: String? = "application/json", query: String = "", accept: String? = nil) -> HTTPRequest {
    var headers = HTTPFields()
    if let contentType { headers.append("Content-Type", contentType) }
    if let accept { headers.append("Accept", accept) }
    return HTTPRequest(method: method, path: path, query: query, headers: headers, body: Array((body ?? "").utf8))
}

/// The JSON body of a response.
public func parse(_ response: HTTPResponse) throws -> JSONValue {
    try JSONValue.parse(response.body)
}

/// A logger that shows only errors.
public let testLog = Logger(label: "test", minimumLevel: .error)

extension Connection {
    /// Inspection for tests: `sql` in its own read transaction.
    public func query(_ sql: String, _ parameters: [SQLValue] = []) throws -> [SQLRow] {
        try read { try $0.query(sql, parameters) }
    }

    /// Inspection for tests: the first row of `sql` in its own read transaction.
    public func queryOne(_ sql: String, _ parameters: [SQLValue] = []) throws -> SQLRow? {
        try read { try $0.queryOne(sql, parameters) }
    }
}
