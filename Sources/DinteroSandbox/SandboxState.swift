import Dintero
import Foundation
import PaymentsDomain
import HTTPKit
import ServiceSupport
import Synchronization

/// A request Dintero refuses: status and message.
struct SandboxRefusal: Error {
    var status: Int
    var message: String
}

/// The sandbox's in-memory Dintero: tokens, sessions, transactions, injected faults.
final class SandboxState: Sendable {
    struct Session {
        let id: String
        let amount: Int64
        let currency: String
        let merchantReference: String
        let returnURL: String
        let callbackURL: String?
        var expiresAt: String?
        var transactionID: String?
        var cancelledAt: Int64?
        /// Dintero's session events, oldest first, named as its spec's enum names them:
        /// INITIATED, VISITED, AUTHORIZED, DECLINED, FAILED, COMPLETED, CANCELLED.
        var events: [(name: String, at: Int64)] = []
        let createdAt = Date().epochMilliseconds

        /// The session event a payment's outcome records (the transaction's status is not a
        /// session event name: a captured or on-hold payment completes the session).
        static func eventName(paidAs status: String) -> String {
            switch status {
            case "AUTHORIZED": return "AUTHORIZED"
            case "DECLINED": return "DECLINED"
            case "FAILED": return "FAILED"
            default: return "COMPLETED"
            }
        }

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
                ("created_at", .string(Timestamp.iso8601(epochMilliseconds: createdAt))),
                // Required by the spec (SessionOptions); a profile session's, as Dintero expands it.
                ("configuration", .object([("auto_capture", .bool(false))])),
                ("events", .array(events.enumerated().map { index, event in
                    .object([
                        ("id", .string("\(id).event-\(index)")),
                        ("name", .string(event.name)),
                        ("created_at", .string(Timestamp.iso8601(epochMilliseconds: event.at))),
                    ])
                })),
            ]
            if let transactionID { members.append(("transaction_id", .string(transactionID))) }
            if let expiresAt { members.append(("expires_at", .string(expiresAt))) }
            if let cancelledAt {
                members.append(("cancelled_at", .string(Timestamp.iso8601(epochMilliseconds: cancelledAt))))
                members.append(("cancelled_by", .string("CUSTOMER")))
            }
            return .object(members)
        }
    }

    struct Transaction {
        struct Event {
            var name: String
            var success: Bool
            var amount: Int64?
            var reference: String?
            var correlationID: String?
            var at: Int64
        }

        let id: String
        let sessionID: String?
        let merchantReference: String
        let amount: Int64
        let currency: String
        var status: String
        let createdAt: Int64
        var events: [Event] = []

        var captured: Int64 { events.reduce(0) { $0 + ($1.success && $1.name == "CAPTURE" ? $1.amount ?? 0 : 0) } }
        var refunded: Int64 { events.reduce(0) { $0 + ($1.success && $1.name == "REFUND" ? $1.amount ?? 0 : 0) } }

        /// As Dintero answers it: a field the spec types as a string or number is left out when
        /// there is no value, never `null`.
        var json: JSONValue {
            var members: [(String, JSONValue)] = [
                ("id", .string(id)),
                ("merchant_reference", .string(merchantReference)),
                ("amount", .int(amount)),
                ("currency", .string(currency)),
                ("status", .string(status)),
                ("payment_product", .string("bambora")),
                ("payment_product_type", .string("bambora.creditcard")),
                ("created_at", .string(Timestamp.iso8601(epochMilliseconds: createdAt))),
                ("events", .array(events.enumerated().map { index, event in
                    var fields: [(String, JSONValue)] = [
                        ("id", .string("\(id).event-\(index)")),
                        ("event", .string(event.name)),
                        ("success", .bool(event.success)),
                        ("transaction_status", .string(status)),
                        ("created_at", .string(Timestamp.iso8601(epochMilliseconds: event.at))),
                    ]
                    if let amount = event.amount { fields.append(("amount", .int(amount))) }
                    if let reference = event.reference { fields.append(("event_reference", .string(reference))) }
                    if let correlation = event.correlationID { fields.append(("correlation_request_id", .string(correlation))) }
                    return .object(fields)
                })),
            ]
            if let sessionID { members.insert(("session_id", .string(sessionID)), at: 1) }
            return .object(members)
        }
    }

    /// How capture, refund and void answer: at once (200) or accepted and completed later (202).
    struct OperationMode {
        var asynchronous = false
        var delayMilliseconds = 300
    }

    /// A canned failure for the next `count` calls of one endpoint.
    struct Fault {
        var status: Int
        var delayMilliseconds: Int
        var body: String
        var remaining: Int
        /// The call takes effect before the fault answers: Dintero did the work and its
        /// answer was lost on the way back.
        var afterEffect = false
        /// The call waits, holding no thread, until `/__sandbox/release` (an explicit barrier
        /// for tests), then answers as it would have.
        var hold = false
        /// Calls let through untouched before the fault applies (the second call of an
        /// endpoint, say).
        var skip = 0
    }

    struct Counters {
        var tokensIssued = 0
        var callbacksDelivered = 0
        var callbackAttempts = 0
        var callbacksRefusedInsecure = 0
        var providerCalls = 0
    }

    private struct Store {
        var tokens: [String: Date] = [:]
        var sessions: [String: Session] = [:]
        var transactions: [String: Transaction] = [:]
        var faults: [String: Fault] = [:]
        var counters = Counters()
        var operationMode = OperationMode()
        /// Calls held by a `hold` fault, per endpoint: what answers each one.
        var held: [String: [@Sendable () -> Void]] = [:]
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
            let now = Date().epochMilliseconds
            let transaction = Transaction(
                id: transactionIDPrefix + Self.randomID(22),
                sessionID: session.id,
                merchantReference: session.merchantReference,
                amount: session.amount,
                currency: session.currency,
                status: status,
                createdAt: now,
                events: Self.initialEvents(status: status, amount: session.amount, at: now)
            )
            session.transactionID = transaction.id
            session.events.append((Session.eventName(paidAs: status), transaction.createdAt))
            store.sessions[sessionID] = session
            store.transactions[transaction.id] = transaction
            return (session, transaction)
        }
    }

    /// Cancels a session. Through the API (`voidingPayment`), as Dintero's spec says, its
    /// transaction "will be voided in case where it is initialized or authorized"; the
    /// shopper's cancel on the payment page only cancels an unpaid session. Nil when there is
    /// nothing to cancel (cancelled already, paid on the page, or a transaction gone further
    /// than an authorization).
    func cancel(sessionID: String, voidingPayment: Bool = false) -> Session? {
        store.withLock { store in
            guard var session = store.sessions[sessionID], !session.cancelled else { return nil }
            guard voidingPayment || session.transactionID == nil else { return nil }
            let now = Date().epochMilliseconds
            if let transactionID = session.transactionID {
                guard var transaction = store.transactions[transactionID], ["INITIATED", "AUTHORIZED"].contains(transaction.status) else { return nil }
                transaction.events.append(.init(name: "VOID", success: true, amount: nil, reference: nil, correlationID: nil, at: now))
                transaction.status = "AUTHORIZATION_VOIDED"
                store.transactions[transactionID] = transaction
            }
            session.cancelledAt = now
            session.events.append(("CANCELLED", now))
            store.sessions[sessionID] = session
            return session
        }
    }

    var operationMode: OperationMode {
        get { store.withLock { $0.operationMode } }
        set { store.withLock { $0.operationMode = newValue } }
    }

    /// Applies a capture, refund or void with Dintero's rules; the transaction afterwards, or
    /// the error message of a 400.
    func operate(
        _ kind: String, transactionID: String, amount requested: Int64?, reference: String?, correlationID: String? = nil
    ) -> Result<Transaction, SandboxRefusal> {
        store.withLock { store in
            guard var transaction = store.transactions[transactionID] else { return .failure(.init(status: 404, message: "Transaction not found")) }
            let remainingCapture = transaction.amount - transaction.captured, remainingRefund = transaction.captured - transaction.refunded
            let amount: Int64?
            switch kind {
            case "capture":
                guard ["AUTHORIZED", "PARTIALLY_CAPTURED", "PARTIALLY_CAPTURED_REFUNDED"].contains(transaction.status), remainingCapture > 0 else {
                    return .failure(.init(status: 400, message: "Cannot capture a transaction in status \(transaction.status)"))
                }
                amount = requested ?? remainingCapture
                guard let amount, amount > 0, amount <= remainingCapture else {
                    return .failure(.init(status: 400, message: "Capture amount exceeds the remaining authorized amount \(remainingCapture)"))
                }
            case "refund":
                guard remainingRefund > 0 else { return .failure(.init(status: 400, message: "Nothing captured to refund")) }
                amount = requested ?? remainingRefund
                guard let amount, amount > 0, amount <= remainingRefund else {
                    return .failure(.init(status: 400, message: "Refund amount exceeds the captured amount not refunded \(remainingRefund)"))
                }
            default:
                guard transaction.status == "AUTHORIZED" else {
                    return .failure(.init(status: 400, message: "Cannot void a transaction in status \(transaction.status)"))
                }
                amount = nil
            }
            transaction.events.append(.init(
                name: kind.uppercased(), success: true, amount: amount, reference: reference, correlationID: correlationID, at: Date().epochMilliseconds
            ))
            transaction.status = kind == "void" ? "AUTHORIZATION_VOIDED"
                : DinteroStatus.afterOperations(amount: transaction.amount, captured: transaction.captured, refunded: transaction.refunded)
            store.transactions[transactionID] = transaction
            return .success(transaction)
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
            if fault.skip > 0 {
                fault.skip -= 1
                store.faults[endpoint] = fault
                return nil
            }
            fault.remaining -= 1
            store.faults[endpoint] = fault.remaining > 0 ? fault : nil
            return fault
        }
    }

    /// Answers with the injected fault for `endpoint` when one is pending, otherwise with
    /// `body`. A fault with status 0 only delays (or holds) the call; an after-effect fault runs
    /// `body` first and drops its answer. A delayed or held call holds no thread while it waits:
    /// its answer comes later (``HTTPResponse/later(_:)``), so a slow sandbox serves thousands
    /// of waiting calls at once.
    func respond(faultsFor endpoint: String, _ body: @escaping @Sendable () throws -> HTTPResponse) rethrows -> HTTPResponse {
        guard let fault = takeFault(for: endpoint) else { return try body() }
        let answer: @Sendable () -> HTTPResponse = {
            guard fault.status > 0 else { return SandboxAPI.answer(body) }
            if fault.afterEffect { _ = SandboxAPI.answer(body) }
            return HTTPResponse(status: HTTPStatus(fault.status), headers: [("Content-Type", "application/json"), (Self.faultHeader, "injected")], body: Array(fault.body.utf8))
        }
        if fault.hold {
            // With after_effect and no status the call takes effect now and only its answer
            // waits for the release: Dintero did the work, its answer is slow on the way back.
            let early: HTTPResponse? = fault.afterEffect && fault.status == 0 ? SandboxAPI.answer(body) : nil
            return .later { [self] reply in
                store.withLock { $0.held[endpoint, default: []].append { reply(early ?? answer()) } }
            }
        }
        guard fault.delayMilliseconds > 0 else { return answer() }
        return .later { reply in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(fault.delayMilliseconds)) { reply(answer()) }
        }
    }

    /// Marks an answer an injected fault made (the contract test tells them from the sandbox's own).
    static let faultHeader = "Sandbox-Fault"

    /// How many calls are held, per endpoint.
    var heldCounts: [String: Int] { store.withLock { $0.held.mapValues(\.count) } }

    /// Answers every call held for `endpoint` (nil: for every endpoint); returns how many.
    @discardableResult
    func release(_ endpoint: String?) -> Int {
        let released: [@Sendable () -> Void] = store.withLock { store in
            guard let endpoint else {
                defer { store.held = [:] }
                return store.held.values.flatMap { $0 }
            }
            return store.held.removeValue(forKey: endpoint) ?? []
        }
        for answer in released { answer() }
        return released.count
    }

    func count(_ update: (inout Counters) -> Void) {
        store.withLock { update(&$0.counters) }
    }

    var counters: Counters { store.withLock { $0.counters } }

    /// The events of a new transaction: the authorization, and a capture when it is paid captured.
    static func initialEvents(status: String, amount: Int64, at time: Int64) -> [Transaction.Event] {
        var events = [Transaction.Event(name: "AUTHORIZE", success: !["FAILED", "DECLINED"].contains(status), amount: amount, at: time)]
        if status == "CAPTURED" { events.append(.init(name: "CAPTURE", success: true, amount: amount, at: time)) }
        return events
    }

    static func randomID(_ length: Int) -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}
