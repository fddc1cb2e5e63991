import Foundation
import ServiceSupport

/// Bringing orders up to date from Dintero when nobody told us: the shopper closed the
/// browser and the callbacks were lost, an operation's answer never came, or a refund was made
/// in Dintero's back office. Run by one process (the supervisor's sweeper).
extension OrderService {
    /// How often each kind of order is looked at again, seconds.
    public struct ReconcilePolicy: Sendable {
        /// A `PENDING` order not changed or checked for this long is read from its session.
        public var pendingAfter: Double
        /// An unfinished capture/refund/void not changed for this long is settled from the
        /// transaction's events.
        public var operationsAfter: Double
        /// A paid order that may still change (captures, refunds) is read again this often.
        public var paidEvery: Double
        /// Orders looked at per kind and sweep.
        public var batch: Int

        public init(pendingAfter: Double = 900, operationsAfter: Double = 30, paidEvery: Double = 3_600, batch: Int = 100) {
            self.pendingAfter = pendingAfter
            self.operationsAfter = operationsAfter
            self.paidEvery = paidEvery
            self.batch = batch
        }
    }

    /// One reconciliation pass; returns how many orders or operations changed.
    public func reconcile(_ policy: ReconcilePolicy) throws -> Int {
        let now = clock.now().epochMilliseconds
        var changed = 0
        for order in try store.orders(in: [.pending], checkedBefore: now - Int64(policy.pendingAfter * 1000), limit: policy.batch) {
            if try reconcilePending(order, now: now) { changed += 1 }
        }
        for operation in try store.openOperations(updatedBefore: now - Int64(policy.operationsAfter * 1000), limit: policy.batch) {
            if try settle(operation) { changed += 1 }
        }
        for order in try store.orders(in: OrderStatus.open, checkedBefore: now - Int64(policy.paidEvery * 1000), limit: policy.batch) {
            guard let transactionID = order.transactionID else { continue }
            try store.markChecked(orderID: order.id, at: now)
            if case .settled(let after)? = try verifyTransaction(transactionID, for: order, source: .reconcile), after != order { changed += 1 }
        }
        return changed
    }

    /// A pending order: paid after all, cancelled, failed, expired, or still open.
    private func reconcilePending(_ order: Order, now: Int64) throws -> Bool {
        try store.markChecked(orderID: order.id, at: now)
        guard let sessionID = order.sessionID else { return false }
        let session: GatewaySession?
        do {
            session = try gateway.session(id: sessionID)
        } catch {
            log.warning("reconcile: order \(order.id): cannot read session \(sessionID): \(error)")
            return false
        }
        guard let session, session.merchantReference == nil || session.merchantReference == order.id else { return false }
        if let transactionID = session.transactionID {
            if case .settled(let after)? = try verifyTransaction(transactionID, for: order, source: .reconcile) { return after.status != order.status }
            return false
        }
        let status: OrderStatus
        let detail: String
        if session.isCancelled {
            (status, detail) = (.cancelled, "session \(sessionID) cancelled")
        } else if session.hasFailed {
            (status, detail) = (.failed, "session \(sessionID) failed")
        } else if let expiresAt = session.expiresAt ?? order.expiresAt, expiresAt <= now {
            (status, detail) = (.expired, "session \(sessionID) expired unpaid")
        } else {
            return false
        }
        let result = try transition(OrderStatusChange(orderID: order.id, status: status, verified: false, source: "reconcile", detail: detail, at: now), from: order)
        if case .changed = result { return true }
        return false
    }
}
