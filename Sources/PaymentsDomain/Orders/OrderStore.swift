/// The outcome of asking the store to move an order to a new status.
public enum OrderTransition: Sendable, Equatable {
    /// The order moved; the value is the stored result.
    case changed(Order)
    /// Nothing to do: the order already has this status (and transaction).
    case unchanged(Order)
    /// The status machine or the recorded transaction forbids the move; order unchanged.
    case refused(Order)
    /// No such order.
    case notFound

    /// The order after the call, when it exists.
    public var order: Order? {
        switch self {
        case .changed(let order), .unchanged(let order), .refused(let order): return order
        case .notFound: return nil
        }
    }
}

/// A requested status change, applied atomically by ``OrderStore/transition(_:)``.
public struct OrderStatusChange: Sendable {
    public var orderID: String
    public var status: OrderStatus
    /// The verified Dintero transaction behind the change, if any.
    public var transactionID: String?
    /// True when the change comes from a verified transaction.
    public var verified: Bool
    /// The Checkout session to record (with `.pending`).
    public var session: CheckoutSession?
    /// What asked for the change: `create`, `redirect`, `callback`.
    public var source: String
    /// Free text for the audit trail (failure reasons). Never secrets.
    public var detail: String?
    /// When, epoch milliseconds.
    public var at: Int64
    /// Captured and refunded totals from the verified transaction (nil: unchanged).
    public var capturedAmount: Int64?
    public var refundedAmount: Int64?
    /// The session's expiry to record (with `.pending`).
    public var expiresAt: Int64?
    /// An operation to update in the same transaction, whatever the order decision.
    public var operation: OperationUpdate?

    /// Creates a change request.
    public init(
        orderID: String, status: OrderStatus, transactionID: String? = nil, verified: Bool, session: CheckoutSession? = nil,
        source: String, detail: String? = nil, at: Int64, capturedAmount: Int64? = nil, refundedAmount: Int64? = nil,
        expiresAt: Int64? = nil, operation: OperationUpdate? = nil
    ) {
        self.orderID = orderID
        self.status = status
        self.transactionID = transactionID
        self.verified = verified
        self.session = session
        self.source = source
        self.detail = detail
        self.at = at
        self.capturedAmount = capturedAmount
        self.refundedAmount = refundedAmount
        self.expiresAt = expiresAt
        self.operation = operation
    }

    /// The change a verified transaction asks for: its status and its captured and refunded totals.
    public init?(orderID: String, transaction: GatewayTransaction, source: String, at: Int64, operation: OperationUpdate? = nil, detail: String? = nil) {
        guard let status = transaction.status else { return nil }
        self.init(
            orderID: orderID, status: status, transactionID: transaction.id, verified: true, source: source, detail: detail, at: at,
            capturedAmount: transaction.capturedAmount, refundedAmount: transaction.refundedAmount, operation: operation
        )
    }
}

extension OrderStatusChange {
    /// What applying this change to `order` (as currently stored) should do: the business
    /// rules of a status change in one place. Stores apply the decision as a compare-and-set
    /// inside one write transaction.
    public func decide(for order: Order) -> OrderTransitionDecision {
        if let transactionID, let recorded = order.transactionID, recorded != transactionID {
            // Exactly one transaction per session: a different one is not this order's.
            return .refuse
        }
        let captured = capturedAmount ?? order.capturedAmount, refunded = refundedAmount ?? order.refundedAmount
        // Dintero's totals only grow: a smaller one is an older snapshot arriving late.
        if captured < order.capturedAmount || refunded < order.refundedAmount { return .refuse }
        let amountsGrew = captured != order.capturedAmount || refunded != order.refundedAmount
        if order.status == status && (transactionID == nil || order.transactionID == transactionID) {
            // The same status with more captured or refunded: a second partial operation.
            guard amountsGrew else { return .keep }
            guard verified else { return .refuse }
        } else if !order.status.allows(status, hasTransaction: order.transactionID != nil, verified: verified) {
            return .refuse
        }
        var next = order
        next.status = status
        next.updatedAt = at
        next.capturedAmount = captured
        next.refundedAmount = refunded
        if let transactionID { next.transactionID = transactionID }
        if let session {
            next.sessionID = session.id
            next.sessionURL = session.url
        }
        if let expiresAt { next.expiresAt = expiresAt }
        return .apply(next)
    }
}

/// The domain's verdict on a requested status change.
public enum OrderTransitionDecision: Sendable, Equatable {
    /// Store this order (the status history records the move).
    case apply(Order)
    /// Nothing to do: the order already has this status (and transaction).
    case keep
    /// Not allowed; the order stays as it is.
    case refuse
}

/// Order persistence. One instance per thread; implementations need not be thread-safe.
public protocol OrderStore {
    /// Stores a new order; with `link`, records it as the resource of that idempotency key in
    /// the same transaction.
    func insert(_ order: Order, linking link: IdempotencyLink?) throws
    /// The order with this id.
    func order(id: String) throws -> Order?
    /// Orders matching the query, newest first (creation time, then sequence).
    func orders(_ query: OrderListQuery) throws -> [Order]
    /// Up to `limit` orders in `status` created before `cutoff`, oldest first.
    func orders(in status: OrderStatus, createdBefore cutoff: Int64, limit: Int) throws -> [Order]
    /// Reads the order, asks ``OrderStatusChange/decide(for:)`` and stores the result, all in
    /// one write transaction, so concurrent redirect and callback requests for one order
    /// serialize and the second one sees the first one's result.
    func transition(_ change: OrderStatusChange) throws -> OrderTransition

    /// Checks ``OrderOperation/check(_:requested:order:open:)`` against the stored order and
    /// its unfinished operations and records `draft` (amount resolved), linked to `link`, all
    /// in one write transaction: of two concurrent requests exactly one starts.
    func begin(_ draft: OrderOperation, requested: Int64?, linking link: IdempotencyLink?) throws -> OperationStart
    /// One operation.
    func operation(id: String) throws -> OrderOperation?
    /// Unfinished operations last changed before `cutoff`, oldest first (for the reconciler).
    func openOperations(updatedBefore cutoff: Int64, limit: Int) throws -> [OrderOperation]
    /// The order's history, oldest first, and its operations.
    func history(orderID: String) throws -> (events: [OrderEvent], operations: [OrderOperation])
    /// The order's operations, oldest first (without the history).
    func operations(orderID: String) throws -> [OrderOperation]
    /// Up to `limit` orders in one of `statuses` whose last change or check is before `cutoff`, oldest first.
    func orders(in statuses: [OrderStatus], checkedBefore cutoff: Int64, limit: Int) throws -> [Order]
    /// Records that the reconciler looked at the order (so it is not looked at again at once).
    func markChecked(orderID: String, at time: Int64) throws
}

extension OrderStore {
    /// Stores a new order without an idempotency key.
    public func insert(_ order: Order) throws { try insert(order, linking: nil) }
}
