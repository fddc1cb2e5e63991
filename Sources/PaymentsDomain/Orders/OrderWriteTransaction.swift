/// The primitive reads and writes of one order-store write transaction. The flows that combine
/// them — ``OrderStatusChange/apply(in:)`` and ``OrderOperation/begin(_:requested:linking:in:)`` —
/// live here once, so every store (SQLite, PostgreSQL) runs the same steps in the same order and
/// only says how each step is stored.
public protocol OrderWriteTransaction {
    /// The order, safe from concurrent changes until the transaction ends (SQLite's write lock,
    /// PostgreSQL's `FOR UPDATE`).
    func lockedOrder(id: String) throws -> Order?
    /// Stores `next` over the order read as `previous` status; returns the rows changed.
    func update(_ next: Order, whereStatus previous: OrderStatus) throws -> Int
    /// Appends to the order's history.
    func record(_ event: OrderEvent, orderID: String) throws
    /// The order's unfinished operations, oldest first.
    func openOperations(orderID: String) throws -> [OrderOperation]
    /// Stores a new operation.
    func insert(_ operation: OrderOperation) throws
    /// One operation, safe from concurrent changes until the transaction ends.
    func lockedOperation(id: String) throws -> OrderOperation?
    /// Moves an operation on.
    func apply(_ update: OperationUpdate, at time: Int64) throws
    /// Records `resourceID` as what the idempotency key's request created.
    func link(_ link: IdempotencyLink, to resourceID: String) throws
}

extension OrderStatusChange {
    /// Reads the order, asks ``decide(for:)`` and stores the result with its history, and the
    /// change's operation update whatever the decision. Runs inside the caller's transaction.
    public func apply(in transaction: OrderWriteTransaction) throws -> OrderTransition {
        guard let order = try transaction.lockedOrder(id: orderID) else { return .notFound }
        let result: OrderTransition
        switch decide(for: order) {
        case .keep:
            result = .unchanged(order)
        case .refuse:
            result = .refused(order)
        case .apply(let next):
            // The order is locked since the read: a miss means the store broke its promise. It
            // fails this request (a 500, the transaction rolled back), not the whole worker.
            let changed = try transaction.update(next, whereStatus: order.status)
            guard changed == 1 else { throw OrderService.Failure.inconsistentStore(orderID: next.id) }
            if operation == nil {
                try transaction.record(
                    OrderEvent(at: at, from: order.status, to: next.status, source: source, transactionID: transactionID, detail: detail),
                    orderID: next.id
                )
            }
            result = .changed(next)
        }
        if let update = operation, let current = try transaction.lockedOperation(id: update.id), current.isOpen {
            // Finished operations stay as they ended (a late duplicate answer changes nothing).
            try transaction.apply(update, at: at)
            try transaction.record(
                OrderEvent(
                    at: at, from: order.status, to: result.order?.status ?? order.status, source: current.kind.rawValue,
                    transactionID: transactionID, amount: current.amount, operationID: current.id, detail: update.eventDetail(for: current)
                ),
                orderID: current.orderID
            )
        }
        return result
    }
}

extension OrderOperation {
    /// Checks ``check(_:requested:order:open:)`` against the locked order and its unfinished
    /// operations and records `draft` (amount resolved) with its history line and key link.
    /// Runs inside the caller's transaction: of two concurrent starts exactly one is recorded.
    public static func begin(_ draft: OrderOperation, requested: Int64?, linking link: IdempotencyLink?, in transaction: OrderWriteTransaction) throws -> OperationStart {
        guard let order = try transaction.lockedOrder(id: draft.orderID) else { return .notFound }
        switch check(draft.kind, requested: requested, order: order, open: try transaction.openOperations(orderID: order.id)) {
        case .failure(let violation):
            return .refused(order, violation)
        case .success(let amount):
            var operation = draft
            operation.amount = amount
            try transaction.insert(operation)
            try transaction.record(
                OrderEvent(
                    at: operation.createdAt, from: order.status, to: order.status, source: operation.kind.rawValue,
                    transactionID: order.transactionID, amount: operation.amount, operationID: operation.id,
                    detail: "\(operation.kind.rawValue) requested"
                ),
                orderID: order.id
            )
            if let link { try transaction.link(link, to: operation.id) }
            return .started(order, operation)
        }
    }
}
