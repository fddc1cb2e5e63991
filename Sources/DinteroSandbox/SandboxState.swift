import Foundation
import HTTPKit
import ServiceSupport
import Synchronization

/// The sandbox's in-memory Dintero: tokens, sessions, transactions, injected faults.
final class SandboxState: Sendable {
    struct Session {
        let id: String
        let amount: Int64
        let currency: String
        let merchantReference: String
        let returnURL: String
        let callbackURL: String?
        var transactionID: String?
        var cancelledAt: Int64?
        /// Dintero's session events, oldest first: INITIATED, VISITED, AUTHORIZED…, CANCELLED.
        var events: [(name: String, at: Int64)] = []

        var cancelled: Bool { cancelledAt != nil }

        /// `GET /v1/sessions/{id}` as Dintero answers it (the fields the service reads).
        var json: JSONValue {
            var members: [(String, JSONValue)] = [
                ("id", .string(id)),
                ("order", .object([
                    ("amount", .int(amount)),
                    ("currency", .string(currency)),
                    ("merchant_reference", .string(merchantReference)),
                ])),
                ("url", .object([
                    ("return_url", .string(returnURL)),
                    ("callback_url", callbackURL.map(JSONValue.string) ?? .null),
                ])),
                ("events", .array(events.map {
                    .object([("name", .string($0.name)), ("created_at", .string(Timestamp.iso8601(epochMilliseconds: $0.at)))])
                })),
            ]
            if let transactionID { members.append(("transaction_id", .string(transactionID))) }
            if let cancelledAt {
                members.append(("cancelled_at", .string(Timestamp.iso8601(epochMilliseconds: cancelledAt))))
                members.append(("cancelled_by", .string("CUSTOMER")))
            }
            return .object(members)
        }
    }

    struct Transaction {
        let id: String
        let sessionID: String?
        let merchantReference: String
        let amount: Int64
        let currency: String
        var status: String
        let createdAt: Int64

        var json: JSONValue {
            .object([
                ("id", .string(id)),
                ("session_id", sessionID.map(JSONValue.string) ?? .null),
                ("merchant_reference", .string(merchantReference)),
                ("amount", .int(amount)),
                ("currency", .string(currency)),
                ("status", .string(status)),
                ("payment_product", .string("bambora")),
                ("payment_product_type", .string("bambora.creditcard")),
                ("created_at", .string(Timestamp.iso8601(epochMilliseconds: createdAt))),
            ])
        }
    }

    /// A canned failure for the next `count` calls of one endpoint.
    struct Fault {
        var status: Int
        var delayMilliseconds: Int
        var body: String
        var remaining: Int
    }

    struct Counters {
        var tokensIssued = 0
        var callbacksDelivered = 0
        var callbackAttempts = 0
        var providerCalls = 0
    }

    private struct Store {
        var tokens: [String: Date] = [:]
        var sessions: [String: Session] = [:]
        var transactions: [String: Transaction] = [:]
        var faults: [String: Fault] = [:]
        var counters = Counters()
    }

    private let store = Mutex(Store())

    func issueToken(lifetime: TimeInterval) -> String {
        let token = "sbx_" + Self.randomID(32)
        store.withLock {
            $0.tokens[token] = Date() + lifetime
            $0.counters.tokensIssued += 1
        }
        return token
    }

    func isValid(token: String) -> Bool {
        store.withLock { ($0.tokens[token] ?? .distantPast) > Date() }
    }

    func expireTokens() {
        store.withLock { $0.tokens.removeAll() }
    }

    func add(_ session: Session) {
        var session = session
        session.events.append(("INITIATED", Date().epochMilliseconds))
        store.withLock { [session] in $0.sessions[session.id] = session }
    }

    /// Records that the shopper opened the hosted page.
    func visit(_ id: String) {
        store.withLock { $0.sessions[id]?.events.append(("VISITED", Date().epochMilliseconds)) }
    }

    func session(_ id: String) -> Session? {
        store.withLock { $0.sessions[id] }
    }

    /// Completes a session with a transaction; nil when it is unknown, paid or cancelled.
    func pay(sessionID: String, status: String, transactionIDPrefix: String) -> (Session, Transaction)? {
        store.withLock { store in
            guard var session = store.sessions[sessionID], session.transactionID == nil, !session.cancelled else { return nil }
            let transaction = Transaction(
                id: transactionIDPrefix + Self.randomID(22),
                sessionID: session.id,
                merchantReference: session.merchantReference,
                amount: session.amount,
                currency: session.currency,
                status: status,
                createdAt: Date().epochMilliseconds
            )
            session.transactionID = transaction.id
            session.events.append((status, transaction.createdAt))
            store.sessions[sessionID] = session
            store.transactions[transaction.id] = transaction
            return (session, transaction)
        }
    }

    /// Cancels an open session; nil when it is unknown, paid or cancelled already.
    func cancel(sessionID: String) -> Session? {
        store.withLock { store in
            guard var session = store.sessions[sessionID], session.transactionID == nil, !session.cancelled else { return nil }
            let now = Date().epochMilliseconds
            session.cancelledAt = now
            session.events.append(("CANCELLED", now))
            store.sessions[sessionID] = session
            return session
        }
    }

    func add(_ transaction: Transaction) {
        store.withLock { $0.transactions[transaction.id] = transaction }
    }

    func transaction(_ id: String) -> Transaction? {
        store.withLock { $0.transactions[id] }
    }

    func setFault(_ fault: Fault, for endpoint: String) {
        store.withLock { $0.faults[endpoint] = fault }
    }

    /// The fault to apply to this call of `endpoint`, consuming one use.
    func takeFault(for endpoint: String) -> Fault? {
        store.withLock { store in
            guard var fault = store.faults[endpoint], fault.remaining > 0 else { return nil }
            fault.remaining -= 1
            store.faults[endpoint] = fault.remaining > 0 ? fault : nil
            return fault
        }
    }

    /// Answers with the injected fault for `endpoint` when one is pending (after its delay; a
    /// fault with status 0 only delays), otherwise with `body`.
    func respond(faultsFor endpoint: String, _ body: () throws -> HTTPResponse) rethrows -> HTTPResponse {
        guard let fault = takeFault(for: endpoint) else { return try body() }
        if fault.delayMilliseconds > 0 { usleep(useconds_t(fault.delayMilliseconds) * 1000) }
        guard fault.status > 0 else { return try body() }
        return HTTPResponse(status: HTTPStatus(fault.status), headers: [("Content-Type", "application/json")], body: Array(fault.body.utf8))
    }

    func count(_ update: (inout Counters) -> Void) {
        store.withLock { update(&$0.counters) }
    }

    var counters: Counters { store.withLock { $0.counters } }

    static func randomID(_ length: Int) -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}
