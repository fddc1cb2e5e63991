import Foundation
import ServiceSupport

/// Captures, refunds, voids and cancels: the rest of a payment's life after the shopper paid.
///
/// Every operation is recorded before Dintero is asked (with the rules checked in the same
/// transaction), sent with its own id as the reference, and finished from what Dintero says.
/// When the answer is lost (a timeout), the operation stays `requested`; before it is ever
/// sent again, the transaction's events are read, so one request never captures twice.
extension OrderService {
    /// A finished (or accepted) operation.
    public enum OperationOutcome: Sendable, Equatable {
        /// Dintero completed it (200); the order afterwards.
        case done(Order, OrderOperation)
        /// Dintero accepted it for asynchronous processing (202); the order shows it pending.
        case accepted(Order, OrderOperation)
    }

    /// Why an operation did not complete.
    public enum OperationFailure: Error, Sendable, Equatable {
        case orderNotFound
        /// A rule of the order's state forbids it; nothing was sent.
        case refused(Order, OperationRuleViolation)
        /// Dintero refused it (4xx); the operation is recorded as failed.
        case rejected(Order, OrderOperation, GatewayError)
        /// Dintero's answer is unknown (timeout, 5xx, unreachable, busy); the operation stays
        /// `requested` and a retry with the same idempotency key finishes it safely.
        case outcomeUnknown(Order, OrderOperation, GatewayError)
        /// Dintero could not be asked; nothing changed.
        case unavailable(Order, GatewayError)
        /// Dintero refused to cancel a session that is neither paid nor cancelled; the order
        /// stays `PENDING`.
        case cancelRefused(Order, GatewayError)
    }

    /// How long an operation whose answer was lost may stay unknown before, with no trace in
    /// the transaction's events, it is taken as never done.
    static let operationDoubtMilliseconds: Int64 = 120_000

    /// Checks the rules, records the operation, asks Dintero, and records the outcome.
    public func perform(
        _ kind: OperationRequest.Kind, orderID: String, amount: Int64?, reason: String? = nil, linking link: IdempotencyLink? = nil
    ) throws -> OperationOutcome {
        var settledOne = false
        while true {
            let now = clock.now().epochMilliseconds
            let draft = OrderOperation(
                id: RandomUUID.string(), orderID: orderID, kind: kind, amount: nil,
                detail: reason.map { String($0.prefix(200)) }, createdAt: now, updatedAt: now
            )
            switch try store.begin(draft, requested: amount, linking: link) {
            case .notFound:
                throw OperationFailure.orderNotFound
            case .started(let order, let operation):
                log.log(.info, "order operation", [
                    ("order", order.id), ("operation", operation.id), ("kind", operation.kind.rawValue),
                    ("state", operation.state.rawValue), ("amount", operation.amount.map(String.init) ?? "-"), ("currency", order.currency),
                ])
                return try execute(operation, on: order)
            case .refused(let order, let violation):
                // An unfinished operation may have finished in Dintero meanwhile: look once.
                if case .operationInProgress(let open) = violation, !settledOne, try settle(open) {
                    settledOne = true
                    continue
                }
                throw OperationFailure.refused(order, violation)
            }
        }
    }

    /// Finishes the operation an idempotency key already started (a retry after a lost
    /// answer): reads the transaction's events first and sends it again only when Dintero
    /// has no trace of it.
    public func resumeOperation(id: String, linking link: IdempotencyLink? = nil) throws -> OperationOutcome {
        guard let operation = try store.operation(id: id), let order = try store.order(id: operation.orderID) else {
            throw OperationFailure.orderNotFound
        }
        switch operation.state {
        case .succeeded:
            return .done(order, operation)
        case .failed:
            throw OperationFailure.rejected(order, operation, .rejected(status: 409, message: operation.detail ?? "failed"))
        case .notSent:
            return try perform(operation.kind, orderID: order.id, amount: operation.amount, reason: operation.detail == Self.notSentDetail ? nil : operation.detail, linking: link)
        case .pending:
            _ = try settle(operation)
            return try current(operation)
        case .requested:
            if try settle(operation, giveUp: false) { return try current(operation) }
            // No trace yet. Dintero may still be working on the lost request: send it again
            // only once that cannot be so any more, never while it might still happen.
            let waited = Double(clock.now().epochMilliseconds - operation.updatedAt) / 1000
            guard waited >= resendAfter else {
                throw OperationFailure.outcomeUnknown(order, operation, .timedOut)
            }
            _ = try transition(record(operation, on: order, .init(id: operation.id, state: .requested, detail: "sent again: no trace in Dintero's events after \(Int(waited)) s")), from: order)
            return try execute(operation, on: order)
        }
    }

    static let notSentDetail = "not sent: Dintero calls are at capacity or paused"

    /// Cancels a still-pending order's Checkout session with Dintero, then the order.
    public func cancel(orderID: String) throws -> Order {
        guard let order = try store.order(id: orderID) else { throw OperationFailure.orderNotFound }
        guard order.status == .pending, let sessionID = order.sessionID else {
            throw OperationFailure.refused(order, .cancelOnlyPending(status: order.status))
        }
        // Dintero voids the payment of a session cancelled after it was paid (its spec), so
        // Dintero's record of the session is read first: a paid session is refused before
        // Dintero is asked, and a merchant's cancel never undoes a payment it did not know of.
        let before = try readSession(sessionID, of: order)
        if before?.transactionID != nil {
            throw try cancelRefusal(orderID, order, .rejected(status: 409, message: "the session is paid"))
        }
        var detail = "session \(sessionID) cancelled by the merchant"
        if before?.isCancelled == true {
            // A retry after an answer that was lost: Dintero cancelled it already.
            detail = "session \(sessionID) found cancelled when the merchant's cancel was retried"
        } else {
            let cancelled: GatewaySession
            do {
                cancelled = try gateway.cancelSession(id: sessionID)
            } catch where error.isRejection {
                // Refused after all: paid or cancelled in the moment since the read.
                // Dintero's record of the session decides which.
                let session = try readSession(sessionID, of: order)
                guard let session, session.transactionID == nil, session.isCancelled else {
                    throw try cancelRefusal(orderID, order, error)
                }
                cancelled = session
            } catch {
                throw OperationFailure.unavailable(order, error)
            }
            if let transactionID = cancelled.transactionID {
                // Paid in the moment between the read and the cancel: Dintero voided that
                // payment, and the order records the voided transaction as Dintero has it.
                log.warning("order \(order.id): session \(sessionID) was paid as the merchant cancelled it; Dintero voided transaction \(transactionID)")
                _ = try verifyTransaction(transactionID, for: order, source: .reconcile)
                return try store.order(id: orderID) ?? order
            }
        }
        let result = try transition(OrderStatusChange(
            orderID: orderID, status: .cancelled, verified: false, source: "cancel",
            detail: detail, at: clock.now().epochMilliseconds
        ), from: order)
        return result.order ?? order
    }

    /// Dintero's record of the session, its transaction (if it has one) verified onto the order.
    private func readSession(_ sessionID: String, of order: Order) throws -> GatewaySession? {
        let session: GatewaySession?
        do {
            session = try gateway.session(id: sessionID)
        } catch {
            throw OperationFailure.unavailable(order, error)
        }
        if let transactionID = session?.transactionID {
            _ = try verifyTransaction(transactionID, for: order, source: .reconcile)
        }
        return session
    }

    /// Why a cancel is refused, by the order's status now: still waiting (Dintero's refusal
    /// stands), or moved on (paid meanwhile; the refusal names its status).
    private func cancelRefusal(_ orderID: String, _ order: Order, _ error: GatewayError) throws -> OperationFailure {
        let now = try store.order(id: orderID) ?? order
        return now.status == .pending ? .cancelRefused(now, error) : .refused(now, .cancelOnlyPending(status: now.status))
    }

    private func current(_ operation: OrderOperation) throws -> OperationOutcome {
        guard let stored = try store.operation(id: operation.id), let order = try store.order(id: operation.orderID) else {
            throw OperationFailure.orderNotFound
        }
        switch stored.state {
        case .succeeded: return .done(order, stored)
        case .requested, .pending: return .accepted(order, stored)
        case .failed, .notSent: throw OperationFailure.rejected(order, stored, .rejected(status: 409, message: stored.detail ?? "failed"))
        }
    }

    private func execute(_ operation: OrderOperation, on order: Order) throws -> OperationOutcome {
        guard let transactionID = order.transactionID else {
            throw OperationFailure.refused(order, .wrongStatus(kind: operation.kind, status: order.status))
        }
        let answer: OperationAnswer
        do {
            answer = try gateway.perform(OperationRequest(
                kind: operation.kind, transactionID: transactionID, amount: operation.amount, reference: operation.id, reason: operation.detail
            ))
        } catch .busy(let seconds) {
            // Refused by our own bulkhead or circuit breaker: nothing was sent.
            _ = try transition(record(operation, on: order, .init(id: operation.id, state: .notSent, detail: Self.notSentDetail)), from: order)
            throw OperationFailure.unavailable(order, .busy(retryAfter: seconds))
        } catch where error.isRejection {
            log.warning("order \(order.id): Dintero refused \(operation.kind.rawValue) \(operation.id): \(error)")
            let result = try transition(record(operation, on: order, .init(id: operation.id, state: .failed, detail: error.summary)), from: order)
            throw OperationFailure.rejected(result.order ?? order, operation, error)
        } catch {
            log.warning("order \(order.id): \(operation.kind.rawValue) \(operation.id) outcome unknown: \(error)")
            throw OperationFailure.outcomeUnknown(order, operation, error)
        }
        switch answer {
        case .completed(let transaction):
            try apply(transaction, to: operation, order: order)
            return try current(operation)
        case .accepted(let requestID):
            _ = try transition(record(operation, on: order, .init(id: operation.id, state: .pending, requestID: requestID)), from: order)
            return try current(operation)
        }
    }

    /// Looks for the operation's event in the transaction and records the outcome; true when
    /// the operation is finished now. With `giveUp`, an operation whose answer was lost long
    /// ago and that Dintero has no trace of is recorded as failed (never done).
    @discardableResult
    func settle(_ operation: OrderOperation, giveUp: Bool = true) throws -> Bool {
        guard let order = try store.order(id: operation.orderID), let transactionID = order.transactionID else { return false }
        let transaction: GatewayTransaction?
        do {
            transaction = try gateway.transaction(id: transactionID)
        } catch {
            log.warning("order \(order.id): cannot read transaction \(transactionID) to settle \(operation.kind.rawValue) \(operation.id): \(error)")
            return false
        }
        guard let transaction else { return false }
        if transaction.event(reference: operation.id, correlationID: operation.requestID) != nil {
            try apply(transaction, to: operation, order: order)
            return true
        }
        if giveUp, operation.state == .requested, clock.now().epochMilliseconds - operation.updatedAt > Self.operationDoubtMilliseconds {
            _ = try transition(record(operation, on: order, .init(id: operation.id, state: .failed, detail: "no trace in Dintero's events; never done")), from: order)
            return true
        }
        return false
    }

    /// Records the transaction's status and totals, and the operation's outcome from its event
    /// (a completed answer without an event of ours counts as success).
    func apply(_ transaction: GatewayTransaction, to operation: OrderOperation, order: Order) throws {
        let event = transaction.event(reference: operation.id, correlationID: operation.requestID)
        let update = OperationUpdate(id: operation.id, state: event?.success == false ? .failed : .succeeded, detail: event?.success == false ? "Dintero reported the \(operation.kind.rawValue) as failed" : nil)
        let now = clock.now().epochMilliseconds
        let change = OrderStatusChange(orderID: order.id, transaction: transaction, source: operation.kind.rawValue, at: now, operation: update)
            ?? record(operation, on: order, update)
        _ = try transition(change, from: order)
    }

    /// A change that keeps the order as it is and only records the operation's new state.
    private func record(_ operation: OrderOperation, on order: Order, _ update: OperationUpdate) -> OrderStatusChange {
        OrderStatusChange(orderID: order.id, status: order.status, verified: true, source: operation.kind.rawValue, at: clock.now().epochMilliseconds, operation: update)
    }
}
