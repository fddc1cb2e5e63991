import Foundation
import ServiceSupport

/// The `/orders` flows: create an order with its Checkout session, and verify what the
/// shopper's return or Dintero's callback reports. Controllers decode and encode; this owns
/// the steps and their order.
public struct OrderService {
    /// Who is reporting a payment outcome.
    public enum ReturnSource: String, Sendable {
        case redirect, callback, reconcile
    }

    /// What a return or callback claims, before verification.
    public struct ReturnClaim: Sendable {
        /// Dintero's `transaction_id` parameter, when present and non-empty.
        public var transactionID: String?
        /// Dintero's `error` parameter (`cancelled`, …), when present and non-empty.
        public var error: String?

        /// Creates a claim.
        public init(transactionID: String?, error: String?) {
            self.transactionID = transactionID
            self.error = error
        }
    }

    /// What verification concluded.
    public enum ReturnOutcome: Sendable, Equatable {
        /// The order's status after applying a verified (or harmless unverified) outcome.
        case settled(Order)
        /// The parameters do not match a transaction of this order; nothing changed.
        case unverified(Order)
        /// An `error=` claim that Dintero's record of the session does not confirm; nothing changed.
        case unconfirmed(Order)
        /// Dintero could not be asked; nothing changed, try again later.
        case unavailable(Order)

        /// The order after verification.
        public var order: Order {
            switch self {
            case .settled(let order), .unverified(let order), .unconfirmed(let order), .unavailable(let order): return order
            }
        }
    }

    /// Why a flow could not complete.
    public enum Failure: Error, Sendable, Equatable {
        /// The order was stored but Dintero would not open a session; it is `SESSION_FAILED`.
        case sessionFailed(orderID: String, reason: GatewayError)
        /// The store did not accept a change it should have (a concurrent writer removed the order).
        case inconsistentStore(orderID: String)
        /// A return or callback named neither a transaction nor an error.
        case noOutcome
        /// A resumed create whose order had already been given up (`SESSION_FAILED`).
        case abandonedCreate(orderID: String)
    }

    let store: OrderStore
    let gateway: PaymentGateway
    let routes: any OrderReturnRoutes
    let clock: WallClock
    let log: Logger
    /// How long a Checkout session accepts payment, seconds (its `expires_at`).
    let sessionLifetime: Double
    /// How long after a lost answer an operation with no trace in Dintero's events may be
    /// sent again (a retry with its idempotency key), seconds: past any request Dintero could
    /// still be processing.
    let resendAfter: Double

    /// Creates the service for one thread (the store is that thread's).
    public init(
        store: OrderStore, gateway: PaymentGateway, routes: any OrderReturnRoutes, clock: WallClock, log: Logger,
        sessionLifetime: Double = 86_400, resendAfter: Double = 30
    ) {
        self.store = store
        self.gateway = gateway
        self.routes = routes
        self.clock = clock
        self.log = log
        self.sessionLifetime = sessionLifetime
        self.resendAfter = resendAfter
    }

    // MARK: - Reads

    /// The order with this id.
    public func order(id: String) throws -> Order? {
        try store.order(id: id)
    }

    /// The order with its capture, refund and void operations, when it can have any
    /// (``OrderStatus/mayHaveOperations``; an order that cannot costs no second read).
    public func orderWithOperations(id: String) throws -> (order: Order, operations: [OrderOperation]?)? {
        guard let order = try store.order(id: id) else { return nil }
        return (order, order.status.mayHaveOperations ? try store.operations(orderID: id) : nil)
    }

    /// One page of orders matching `query`, newest first.
    public func orders(_ query: OrderListQuery) throws -> ListPage<Order> {
        try ListPage.read(query, cursor: ListCursor.init(after:), store.orders)
    }

    /// The order's status changes and operations, oldest first; nil when there is no such order.
    public func history(orderID: String) throws -> (events: [OrderEvent], operations: [OrderOperation])? {
        guard try store.order(id: orderID) != nil else { return nil }
        return try store.history(orderID: orderID)
    }

    /// Stores the order (`CREATED`, linked to `link` in the same transaction), then creates
    /// its Checkout session and moves it to `PENDING` with the payment link; a failed session
    /// leaves it `SESSION_FAILED`, never `PENDING` without a link.
    public func create(_ input: CreateOrderInput, linking link: IdempotencyLink? = nil) throws -> Order {
        let now = clock.now().epochMilliseconds
        let id = RandomUUID.string()
        let order = Order(id: id, createdAt: now, updatedAt: now, amount: input.amount, currency: input.currency, receipt: input.receipt, status: .created)
        try store.insert(order, linking: link)
        logCreated(order)
        return try openSession(for: order)
    }

    /// Finishes a create that was interrupted (a retry with the same idempotency key after a
    /// crash): a `CREATED` order gets its session now; any other order is answered as it is.
    public func resumeCreate(orderID: String) throws -> Order {
        guard let order = try store.order(id: orderID) else { throw Failure.inconsistentStore(orderID: orderID) }
        switch order.status {
        case .created: return try openSession(for: order)
        case .sessionFailed: throw Failure.abandonedCreate(orderID: orderID)
        default: return order
        }
    }

    /// Orders left in `CREATED` (their worker died, or Dintero hung past every timeout)
    /// longer than `grace` seconds end as `SESSION_FAILED`: no shopper ever received their link.
    /// Returns how many.
    public func failInterruptedCreates(olderThan grace: Double) throws -> Int {
        let now = clock.now().epochMilliseconds
        var failed = 0
        for order in try store.orders(in: .created, createdBefore: now - Int64(grace * 1000), limit: 100) {
            let result = try transition(OrderStatusChange(
                orderID: order.id, status: .sessionFailed, verified: false, source: "sweeper",
                detail: "create interrupted before the payment session was stored", at: now
            ), from: order)
            if case .changed = result { failed += 1 }
        }
        return failed
    }

    private func openSession(for order: Order) throws -> Order {
        let id = order.id
        let session: CheckoutSession
        let expiresAt = clock.now().epochMilliseconds + Int64(sessionLifetime * 1000)
        do {
            session = try gateway.createSession(SessionRequest(
                amount: order.amount,
                currency: order.currency,
                merchantReference: id,
                returnURL: routes.returnURL(orderID: id),
                callbackURL: routes.callbackURL(orderID: id),
                expiresAt: expiresAt
            ))
        } catch {
            log.warning("order \(id): creating the Dintero session failed: \(error)")
            _ = try transition(OrderStatusChange(
                orderID: id, status: .sessionFailed, verified: false, source: "create",
                detail: error.description, at: clock.now().epochMilliseconds
            ), from: order)
            throw Failure.sessionFailed(orderID: id, reason: error)
        }
        let result = try transition(OrderStatusChange(
            orderID: id, status: .pending, verified: false, session: session, source: "create",
            at: clock.now().epochMilliseconds, expiresAt: expiresAt
        ), from: order)
        guard case .changed(let stored) = result else { throw Failure.inconsistentStore(orderID: id) }
        return stored
    }

    /// Verifies a return or callback against Dintero and applies what it proves. Nil when
    /// there is no such order. Neither a `transaction_id` nor an `error` parameter is trusted:
    /// the transaction, or without one the order's own session, is read from Dintero first.
    public func verifyReturn(orderID: String, claim: ReturnClaim, source: ReturnSource) throws -> ReturnOutcome? {
        guard let order = try store.order(id: orderID) else { return nil }
        if let transactionID = claim.transactionID {
            return try verifyTransaction(transactionID, for: order, source: source)
        }
        if let error = claim.error {
            return try verifyError(error, for: order, source: source)
        }
        throw Failure.noOutcome
    }

    func verifyTransaction(_ transactionID: String, for order: Order, source: ReturnSource) throws -> ReturnOutcome? {
        let transaction: GatewayTransaction?
        do {
            transaction = try gateway.transaction(id: transactionID)
        } catch {
            log.warning("order \(order.id): cannot verify transaction from \(source.rawValue): \(error)")
            // Dintero calling the request wrong is final (and Dintero does not retry a 4xx
            // callback answer); anything else may pass, so 502 asks for a retry.
            return error.isRejection ? .unverified(order) : .unavailable(order)
        }
        guard let transaction else {
            log.warning("order \(order.id): \(source.rawValue) named unknown transaction \(transactionID)")
            return .unverified(order)
        }
        if let mismatch = Self.mismatch(transaction, order) {
            log.warning("order \(order.id): \(source.rawValue) transaction \(transaction.id) refused: \(mismatch)")
            BusinessCounters.add(BusinessMetric.verificationRefusals, ["source": source.rawValue])
            return .unverified(order)
        }
        guard let change = OrderStatusChange(orderID: order.id, transaction: transaction, source: source.rawValue, at: clock.now().epochMilliseconds) else {
            log.warning("order \(order.id): transaction \(transaction.id) has unknown status \(transaction.reportedStatus)")
            return .unverified(order)
        }
        let result = try transition(change, from: order)
        guard var current = result.order else { return nil }
        if case .refused = result, current.transactionID != transaction.id {
            log.warning("order \(order.id): already paid by transaction \(current.transactionID ?? "-"), refused \(transaction.id)")
            return .unverified(current)
        }
        // An operation Dintero accepted (202) completes when its event shows up here.
        if current.status.mayHaveOperations {
            for operation in try store.operations(orderID: order.id) where operation.isOpen
            && transaction.event(reference: operation.id, correlationID: operation.requestID) != nil {
                try apply(transaction, to: operation, order: current)
                current = try store.order(id: order.id) ?? current
            }
        }
        return .settled(current)
    }

    /// `error=cancelled` (or another error) changes the order only when Dintero's record of
    /// the order's own session confirms it; a link prefetcher or a guessed URL changes nothing.
    private func verifyError(_ error: String, for order: Order, source: ReturnSource) throws -> ReturnOutcome? {
        guard let sessionID = order.sessionID else {
            log.warning("order \(order.id): \(source.rawValue) reported error=\(error.prefix(100)) for an order without a session")
            return .unconfirmed(order)
        }
        let session: GatewaySession?
        do {
            session = try gateway.session(id: sessionID)
        } catch {
            log.warning("order \(order.id): cannot read session \(sessionID) from \(source.rawValue): \(error)")
            return error.isRejection ? .unconfirmed(order) : .unavailable(order)
        }
        guard let session, session.id == sessionID, session.merchantReference == nil || session.merchantReference == order.id else {
            log.warning("order \(order.id): session \(sessionID) is unknown to Dintero or not this order's")
            return .unconfirmed(order)
        }
        if let transactionID = session.transactionID {
            // Paid after all (or paid in another tab): the transaction decides.
            return try verifyTransaction(transactionID, for: order, source: source)
        }
        let status: OrderStatus
        if session.isCancelled {
            status = .cancelled
        } else if session.hasFailed {
            status = .failed
        } else {
            log.warning("order \(order.id): \(source.rawValue) reported error=\(error.prefix(100)) but session \(sessionID) is neither cancelled nor failed")
            return .unconfirmed(order)
        }
        let result = try transition(OrderStatusChange(
            orderID: order.id, status: status, verified: false, source: source.rawValue,
            detail: "error=\(error.prefix(100)) confirmed by session \(sessionID)", at: clock.now().epochMilliseconds
        ), from: order)
        return .settled(result.order ?? order)
    }

    /// Why a transaction is not this order's, or nil when it matches.
    public static func mismatch(_ transaction: GatewayTransaction, _ order: Order) -> String? {
        if transaction.merchantReference != order.id {
            return "merchant_reference \(transaction.merchantReference ?? "none") is not the order id"
        }
        if transaction.amount != order.amount || transaction.currency != order.currency {
            return "amount \(transaction.amount) \(transaction.currency) differs from the order's \(order.amount) \(order.currency)"
        }
        // A transaction without a session (made in Dintero's back office, or by another
        // integration on the account) proves nothing about this order's checkout.
        guard let expected = order.sessionID else { return "the order has no Checkout session" }
        guard let session = transaction.sessionID, session == expected else {
            return "session \(transaction.sessionID ?? "none") is not the order's session"
        }
        return nil
    }
}
