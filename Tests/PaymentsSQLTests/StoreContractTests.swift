import Foundation
import PaymentsApp
import PaymentsDomain
import Synchronization
import Testing
import TestSupport

/// The storage protocols' semantics, the same on every store: each test runs once per store
/// (SQLite, PostgreSQL) on a fresh database, and the races on separate connections from
/// separate threads, as separate worker processes or hosts would.
@Suite struct StoreContractTests {
    private static func order(_ id: String, at time: Int64, amount: Int64 = 1_000, currency: String = "NOK", status: OrderStatus = .pending) -> Order {
        Order(id: id, createdAt: time, updatedAt: time, amount: amount, currency: currency, receipt: "r-\(id)", status: status, sessionID: "s-\(id)", sessionURL: "https://pay/\(id)")
    }

    /// Runs `body` on `count` threads at once, each with stores on a connection of its own.
    private static func race<T: Sendable>(_ storage: Storage, count: Int = 8, _ body: @escaping @Sendable (StoreSet) throws -> T) throws -> [T] {
        let results = Mutex<[Result<T, any Error>]>([])
        let ready = DispatchGroup(), done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for _ in 0..<count {
            ready.enter()
            done.enter()
            Thread.detachNewThread {
                let outcome: Result<T, any Error>
                do {
                    let stores = try storage.openStores()
                    // Connected before the start, so the race is between statements, not connects.
                    try stores.health.checkWritable(by: "race", at: 0)
                    ready.leave()
                    start.wait()
                    outcome = .success(try body(stores))
                } catch {
                    ready.leave()
                    outcome = .failure(error)
                }
                results.withLock { $0.append(outcome) }
                done.leave()
            }
        }
        ready.wait()
        for _ in 0..<count { start.signal() }
        done.wait()
        return try results.withLock { $0 }.map { try $0.get() }
    }

    @Test(arguments: TestStore.available)
    func ordersPageNewestFirstWithFilters(store: TestStore) throws {
        let stores = try store.freshStorage().openStores()
        for index in 0..<25 {
            try stores.orders.insert(Self.order("o\(index)", at: 1_000 + Int64(index / 2), amount: Int64(100 * (index + 1)), currency: index % 3 == 0 ? "SEK" : "NOK"))
        }
        var seen: [String] = []
        var query = OrderListQuery(limit: 10)
        while true {
            let page = try stores.orders.orders(query)
            seen += page.map(\.id)
            guard page.count == query.limit, let last = page.last else { break }
            query.after = ListCursor(after: last)
        }
        // Newest first; equal creation times in reverse insertion order.
        #expect(seen == (0..<25).reversed().map { "o\($0)" })
        let sek = try stores.orders.orders(OrderListQuery(currency: "SEK", minAmount: 400, maxAmount: 1_900))
        #expect(sek.map(\.id) == ["o18", "o15", "o12", "o9", "o6", "o3"])
        #expect(try stores.orders.orders(OrderListQuery(minDate: 1_011, limit: 100)).map(\.id) == ["o24", "o23", "o22"])
        #expect(try stores.orders.orders(OrderListQuery(receipt: "r-o7")).map(\.id) == ["o7"])
        let stored = try #require(try stores.orders.order(id: "o4"))
        #expect(stored.amount == 500 && stored.sessionURL == "https://pay/o4" && stored.status == .pending)
        #expect(try stores.orders.order(id: "missing") == nil)
    }

    @Test(arguments: TestStore.available)
    func racingStatusChangesHaveOneWinner(store: TestStore) throws {
        let storage = try store.freshStorage()
        let stores = try storage.openStores()
        try stores.orders.insert(Self.order("o1", at: 1_000))
        // Redirect and callbacks report the same authorization at once: one moves the order.
        let outcomes = try Self.race(storage) { stores in
            try stores.orders.transition(OrderStatusChange(orderID: "o1", status: .authorized, transactionID: "T1", verified: true, source: "callback", at: 2_000))
        }
        #expect(outcomes.filter { if case .changed = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { if case .unchanged = $0 { true } else { false } }.count == 7)
        let history = try stores.orders.history(orderID: "o1").events
        #expect(history.map(\.to) == [.pending, .authorized])
        // Another transaction for the same order is refused; an unknown order is not found.
        let other = try stores.orders.transition(OrderStatusChange(orderID: "o1", status: .captured, transactionID: "T2", verified: true, source: "callback", at: 3_000))
        #expect(other == .refused(try #require(try stores.orders.order(id: "o1"))))
        #expect(try stores.orders.transition(OrderStatusChange(orderID: "nope", status: .failed, verified: false, source: "redirect", at: 1)) == .notFound)
    }

    @Test(arguments: TestStore.available)
    func racingCapturesStartOnce(store: TestStore) throws {
        let storage = try store.freshStorage()
        let stores = try storage.openStores()
        try stores.orders.insert(Self.order("o1", at: 1_000))
        _ = try stores.orders.transition(OrderStatusChange(orderID: "o1", status: .authorized, transactionID: "T1", verified: true, source: "callback", at: 2_000))
        let started = try Self.race(storage) { stores -> Bool in
            let draft = OrderOperation(id: "op-\(UUID().uuidString)", orderID: "o1", kind: .capture, amount: nil, createdAt: 3_000, updatedAt: 3_000)
            if case .started = try stores.orders.begin(draft, requested: nil, linking: nil) { return true }
            return false
        }
        #expect(started.filter { $0 }.count == 1)
        let operations = try stores.orders.operations(orderID: "o1")
        #expect(operations.count == 1 && operations[0].amount == 1_000 && operations[0].state == .requested)
        #expect(try stores.orders.openOperations(updatedBefore: 3_001, limit: 10).map(\.id) == [operations[0].id])
        // The answer finishes the operation and moves the order in one transaction.
        let done = try stores.orders.transition(OrderStatusChange(
            orderID: "o1", status: .captured, transactionID: "T1", verified: true, source: "capture", at: 4_000,
            capturedAmount: 1_000, operation: OperationUpdate(id: operations[0].id, state: .succeeded)
        ))
        #expect(done.order?.status == .captured && done.order?.capturedAmount == 1_000)
        #expect(try stores.orders.operation(id: operations[0].id)?.state == .succeeded)
        #expect(try stores.orders.openOperations(updatedBefore: 10_000, limit: 10).isEmpty)
        #expect(try stores.orders.history(orderID: "o1").events.last?.detail == "capture succeeded")
    }

    @Test(arguments: TestStore.available)
    func reconcilerQueriesSeeStaleAndUncheckedOrders(store: TestStore) throws {
        let stores = try store.freshStorage().openStores()
        try stores.orders.insert(Self.order("old", at: 1_000))
        try stores.orders.insert(Self.order("new", at: 5_000))
        try stores.orders.insert(Self.order("created", at: 1_000, status: .created))
        #expect(try stores.orders.orders(in: .pending, createdBefore: 2_000, limit: 10).map(\.id) == ["old"])
        #expect(try stores.orders.orders(in: [.pending, .created], checkedBefore: 2_000, limit: 10).map(\.id).sorted() == ["created", "old"])
        try stores.orders.markChecked(orderID: "old", at: 9_000)
        #expect(try stores.orders.orders(in: [.pending], checkedBefore: 6_000, limit: 10).map(\.id) == ["new"])
    }

    @Test(arguments: TestStore.available)
    func racingCardSubmissionsMoveAPaymentOnce(store: TestStore) throws {
        let storage = try store.freshStorage()
        let stores = try storage.openStores()
        try stores.payments.insert(Payment(transactionID: "t1", reference: "ref", amount: 500, returnURL: "https://shop/back", state: .initial, createdAt: 1_000, updatedAt: 1_000))
        let moved = try Self.race(storage) { stores in
            try stores.payments.transition(transactionID: "t1", .claim, changes: PaymentChanges(maskedCard: "424242******4242"), at: 2_000) != nil
        }
        #expect(moved.filter { $0 }.count == 1)
        let payment = try #require(try stores.payments.payment(transactionID: "t1"))
        #expect(payment.state == .card && payment.maskedCard == "424242******4242" && payment.updatedAt == 2_000)
        // The sweep moves only payments stuck long enough, in batches.
        for index in 2...6 {
            try stores.payments.insert(Payment(transactionID: "t\(index)", reference: "r", amount: 100, returnURL: "https://shop", state: .initial, createdAt: 1_000, updatedAt: 1_000))
            _ = try stores.payments.transition(transactionID: "t\(index)", .claim, changes: PaymentChanges(), at: Int64(index) * 1_000)
        }
        let changes = PaymentChanges(errorReason: "interrupted")
        #expect(try stores.payments.transitionStale(.fail, updatedBefore: 5_000, changes: changes, at: 9_000, limit: 2) == 2)
        #expect(try stores.payments.transitionStale(.fail, updatedBefore: 5_000, changes: changes, at: 9_000, limit: 10) == 2)
        let errors = try stores.payments.payments(PaymentListQuery(state: .error))
        #expect(errors.map(\.transactionID).sorted() == ["t1", "t2", "t3", "t4"])
        #expect(errors.allSatisfy { $0.errorReason == "interrupted" && $0.updatedAt == 9_000 })
        #expect(try stores.payments.payments(PaymentListQuery(state: .card)).map(\.transactionID).sorted() == ["t5", "t6"])
    }

    @Test(arguments: TestStore.available)
    func paymentListsFilterAndPage(store: TestStore) throws {
        let stores = try store.freshStorage().openStores()
        for index in 0..<30 {
            try stores.payments.insert(Payment(
                transactionID: "t\(index)", reference: "r", amount: Int64(index + 1) * 10, returnURL: "https://shop",
                state: .initial, createdAt: 1_000, updatedAt: 1_000 + Int64(index % 10)
            ))
        }
        var seen: [String] = []
        var query = PaymentListQuery(limit: 7)
        while true {
            let page = try stores.payments.payments(query)
            seen += page.map(\.transactionID)
            guard page.count == query.limit, let last = page.last else { break }
            query.after = ListCursor(after: last)
        }
        #expect(seen.count == 30 && Set(seen).count == 30)
        let expected = (0..<30).sorted { ($0 % 10, $0) > ($1 % 10, $1) }.map { "t\($0)" }
        #expect(seen == expected)
        let filtered = try stores.payments.payments(PaymentListQuery(state: .initial, minAmount: 50, maxAmount: 150, minDate: 1_005, maxDate: 1_008))
        #expect(filtered.map(\.transactionID) == ["t8", "t7", "t6", "t5"])
        #expect(try stores.payments.payments(PaymentListQuery(minAmount: 295)).map(\.transactionID) == ["t29"])
    }

    @Test(arguments: TestStore.available)
    func idempotencyKeysAreClaimedOnceAndReplayed(store: TestStore) throws {
        let storage = try store.freshStorage()
        let stores = try storage.openStores()
        @Sendable func record(owner: String) -> IdempotencyRecord {
            IdempotencyRecord(scope: "k1", key: "key", fingerprint: "fp", owner: owner, leaseUntil: 10_000, createdAt: 1_000)
        }
        let claims = try Self.race(storage) { stores in try stores.idempotency.claim(record(owner: "host:\(UUID().uuidString)")) == nil }
        #expect(claims.filter { $0 }.count == 1)
        let existing = try #require(try stores.idempotency.claim(record(owner: "late")))
        #expect(existing.fingerprint == "fp" && existing.response == nil && existing.leaseUntil == 10_000)
        // Take-over is a compare-and-set on the owner.
        #expect(try stores.idempotency.takeOver(scope: "k1", key: "key", from: "someone-else", to: "me", leaseUntil: 20_000) == false)
        #expect(try stores.idempotency.takeOver(scope: "k1", key: "key", from: existing.owner, to: "me", leaseUntil: 20_000))
        // An order created under the key is linked to it in the same transaction.
        try stores.orders.insert(Self.order("o1", at: 1_000), linking: IdempotencyLink(scope: "k1", key: "key"))
        #expect(try stores.idempotency.claim(record(owner: "x"))?.resourceID == "o1")
        // Released with a resource: kept ownerless so a retry resumes it.
        try stores.idempotency.release(scope: "k1", key: "key", owner: "me")
        let released = try #require(try stores.idempotency.claim(record(owner: "x")))
        #expect(released.owner == nil && released.resourceID == "o1")
        let body: [UInt8] = Array("{\"id\":\"o1\"}".utf8) + [0, 0xff]
        try stores.idempotency.complete(scope: "k1", key: "key", response: StoredResponse(
            status: 201, contentType: "application/json", body: body, headers: ["Location": "/orders/o1", "Retry-After": "1"]
        ))
        let completed = try #require(try stores.idempotency.claim(record(owner: "x"))?.response)
        #expect(completed == StoredResponse(status: 201, contentType: "application/json", body: body, headers: ["Location": "/orders/o1", "Retry-After": "1"]))
        // Released with nothing created: forgotten, so the next request runs afresh.
        #expect(try stores.idempotency.claim(IdempotencyRecord(scope: "k1", key: "other", fingerprint: "f", owner: "me", leaseUntil: 1, createdAt: 5_000)) == nil)
        try stores.idempotency.release(scope: "k1", key: "other", owner: "me")
        #expect(try stores.idempotency.claim(IdempotencyRecord(scope: "k1", key: "other", fingerprint: "f", owner: "me", leaseUntil: 1, createdAt: 5_000)) == nil)
        #expect(try stores.idempotency.purge(createdBefore: 2_000) == 1)
        #expect(try stores.idempotency.purge(createdBefore: 6_000) == 1)
        try stores.health.checkWritable(by: "test", at: 1)
    }
}
