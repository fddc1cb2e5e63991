import Foundation
import PaymentsDomain

/// A few store sets (each on one database connection) shared by the threads that answer
/// requests waiting on outbound calls: a thread borrows a set for one store call, never while
/// it waits on Dintero, so a handful of connections serves hundreds of such requests.
/// Connections open on first need, up to `size`; a borrower waits while all are lent out.
final class StorePool: @unchecked Sendable {
    // `available` and `opened` are guarded by `condition`; a lent set is used by one thread.
    private let condition = NSCondition()
    private var available: [StoreSet] = []
    private var opened = 0
    private let size: Int
    private let open: @Sendable () throws -> StoreSet

    /// A pool of at most `size` store sets made by `open`.
    init(size: Int, open: @escaping @Sendable () throws -> StoreSet) {
        self.size = max(1, size)
        self.open = open
    }

    /// Runs `body` with a store set lent to this thread for its duration.
    func with<T>(_ body: (StoreSet) throws -> T) throws -> T {
        let stores = try borrow()
        defer {
            condition.lock()
            available.append(stores)
            condition.signal()
            condition.unlock()
        }
        return try body(stores)
    }

    private func borrow() throws -> StoreSet {
        condition.lock()
        while available.isEmpty && opened >= size { condition.wait() }
        if let stores = available.popLast() {
            condition.unlock()
            return stores
        }
        opened += 1
        condition.unlock()
        do {
            return try open()
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }
}

/// The order store of whichever pooled connection is free, one call at a time.
struct PooledOrderStore: OrderStore {
    let pool: StorePool

    func insert(_ order: Order, linking link: IdempotencyLink?) throws { try pool.with { try $0.orders.insert(order, linking: link) } }
    func order(id: String) throws -> Order? { try pool.with { try $0.orders.order(id: id) } }
    func orders(_ query: OrderListQuery) throws -> [Order] { try pool.with { try $0.orders.orders(query) } }
    func orders(in status: OrderStatus, createdBefore cutoff: Int64, limit: Int) throws -> [Order] {
        try pool.with { try $0.orders.orders(in: status, createdBefore: cutoff, limit: limit) }
    }
    func transition(_ change: OrderStatusChange) throws -> OrderTransition { try pool.with { try $0.orders.transition(change) } }
    func begin(_ draft: OrderOperation, requested: Int64?, linking link: IdempotencyLink?) throws -> OperationStart {
        try pool.with { try $0.orders.begin(draft, requested: requested, linking: link) }
    }
    func operation(id: String) throws -> OrderOperation? { try pool.with { try $0.orders.operation(id: id) } }
    func openOperations(updatedBefore cutoff: Int64, limit: Int) throws -> [OrderOperation] {
        try pool.with { try $0.orders.openOperations(updatedBefore: cutoff, limit: limit) }
    }
    func history(orderID: String) throws -> (events: [OrderEvent], operations: [OrderOperation]) {
        try pool.with { try $0.orders.history(orderID: orderID) }
    }
    func operations(orderID: String) throws -> [OrderOperation] { try pool.with { try $0.orders.operations(orderID: orderID) } }
    func orders(in statuses: [OrderStatus], checkedBefore cutoff: Int64, limit: Int) throws -> [Order] {
        try pool.with { try $0.orders.orders(in: statuses, checkedBefore: cutoff, limit: limit) }
    }
    func markChecked(orderID: String, at time: Int64) throws { try pool.with { try $0.orders.markChecked(orderID: orderID, at: time) } }
}

/// The payment store of whichever pooled connection is free, one call at a time.
struct PooledPaymentStore: PaymentStore {
    let pool: StorePool

    func insert(_ payment: Payment, linking link: IdempotencyLink?) throws { try pool.with { try $0.payments.insert(payment, linking: link) } }
    func payment(transactionID: String) throws -> Payment? { try pool.with { try $0.payments.payment(transactionID: transactionID) } }
    func transition(transactionID: String, _ move: PaymentMove, changes: PaymentChanges, at: Int64) throws -> Payment? {
        try pool.with { try $0.payments.transition(transactionID: transactionID, move, changes: changes, at: at) }
    }
    func payments(_ query: PaymentListQuery) throws -> [Payment] { try pool.with { try $0.payments.payments(query) } }
    func transitionStale(_ move: PaymentMove, updatedBefore cutoff: Int64, changes: PaymentChanges, at: Int64, limit: Int) throws -> Int {
        try pool.with { try $0.payments.transitionStale(move, updatedBefore: cutoff, changes: changes, at: at, limit: limit) }
    }
}

/// The idempotency store of whichever pooled connection is free, one call at a time.
struct PooledIdempotencyStore: IdempotencyStore {
    let pool: StorePool

    func claim(_ record: IdempotencyRecord) throws -> IdempotencyRecord? { try pool.with { try $0.idempotency.claim(record) } }
    func takeOver(scope: String, key: String, from previousOwner: String?, to owner: String, leaseUntil: Int64) throws -> Bool {
        try pool.with { try $0.idempotency.takeOver(scope: scope, key: key, from: previousOwner, to: owner, leaseUntil: leaseUntil) }
    }
    func complete(scope: String, key: String, response: StoredResponse) throws {
        try pool.with { try $0.idempotency.complete(scope: scope, key: key, response: response) }
    }
    func release(scope: String, key: String, owner: String) throws { try pool.with { try $0.idempotency.release(scope: scope, key: key, owner: owner) } }
    func purge(createdBefore cutoff: Int64) throws -> Int { try pool.with { try $0.idempotency.purge(createdBefore: cutoff) } }
}
