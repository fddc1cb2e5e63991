/// A capture, refund or void the merchant asked for, from request to Dintero's confirmation.
public struct OrderOperation: Sendable, Equatable {
    /// Where the operation is.
    public enum State: String, Sendable {
        /// Recorded, Dintero asked (or about to be); the outcome is not known yet (a call that
        /// timed out stays here until the transaction's events tell).
        case requested
        /// Dintero answered 202: it will complete asynchronously.
        case pending
        case succeeded
        case failed
        /// Never sent: this process's Dintero calls were at capacity or paused, no access token
        /// could be had, or Dintero answered 429. Nothing
        /// happened; a retry with the same idempotency key starts it afresh.
        case notSent = "not_sent"

        /// The states of an operation whose outcome is still to be learned.
        public static let open: [State] = [.requested, .pending]
    }

    /// Also sent to Dintero as the operation's reference, so its event can be found.
    public var id: String
    public var orderID: String
    public var kind: OperationRequest.Kind
    /// Minor units; nil for a void.
    public var amount: Int64?
    public var state: State
    /// Dintero's `event-request-id` for a 202 answer.
    public var requestID: String?
    /// Refund reason, or why it failed.
    public var detail: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, orderID: String, kind: OperationRequest.Kind, amount: Int64?, state: State = .requested,
        requestID: String? = nil, detail: String? = nil, createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.orderID = orderID
        self.kind = kind
        self.amount = amount
        self.state = state
        self.requestID = requestID
        self.detail = detail
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Not finished: Dintero's outcome is still to be learned.
    public var isOpen: Bool { State.open.contains(state) }
}

/// Why an operation may not start; checked against the stored order inside the same write
/// transaction that records the operation, so two concurrent requests cannot both pass.
public enum OperationRuleViolation: Error, Sendable, Equatable {
    /// The order's status does not allow this operation.
    case wrongStatus(kind: OperationRequest.Kind, status: OrderStatus)
    /// Another operation on this order is not finished; one at a time.
    case operationInProgress(OrderOperation)
    /// The amount must be a positive number of minor units.
    case amountNotPositive
    /// More than is authorized and not captured yet.
    case exceedsCapturable(requested: Int64, available: Int64)
    /// More than is captured and not refunded yet.
    case exceedsRefundable(requested: Int64, available: Int64)
    /// A void only cancels an authorization nothing was captured from.
    case voidAfterCapture
    /// Only an order still waiting for the shopper can be cancelled.
    case cancelOnlyPending(status: OrderStatus)

    /// The rule's name, as problem documents name it.
    public var rule: String {
        switch self {
        case .wrongStatus: return "status"
        case .operationInProgress: return "one_operation_at_a_time"
        case .amountNotPositive: return "positive_amount"
        case .exceedsCapturable: return "capture_within_authorized_remainder"
        case .exceedsRefundable: return "refund_within_captured_remainder"
        case .voidAfterCapture: return "void_before_capture"
        case .cancelOnlyPending: return "cancel_only_pending"
        }
    }

    /// True for a conflict with the order's state (409), false for a bad amount (422).
    public var isConflict: Bool {
        switch self {
        case .wrongStatus, .operationInProgress, .voidAfterCapture, .cancelOnlyPending: return true
        case .amountNotPositive, .exceedsCapturable, .exceedsRefundable: return false
        }
    }

    public var detail: String {
        switch self {
        case .wrongStatus(let kind, let status): return "An order in status \(status.rawValue) cannot be \(kind.pastParticiple)."
        case .operationInProgress(let operation):
            return "The \(operation.kind.rawValue) \(operation.id) on this order is not finished yet; retry once it is."
        case .amountNotPositive: return "amount must be a positive integer in minor units."
        case .exceedsCapturable(let requested, let available):
            return "Cannot capture \(requested): only \(available) of the authorized amount is left to capture."
        case .exceedsRefundable(let requested, let available):
            return "Cannot refund \(requested): only \(available) of the captured amount is left to refund."
        case .voidAfterCapture: return "The authorization cannot be voided after a capture; refund instead."
        case .cancelOnlyPending(let status):
            return "Only a PENDING order can be cancelled; this one is \(status.rawValue)\(status.isPaid ? " (void or refund it instead)" : "")."
        }
    }
}

extension OperationRequest.Kind {
    var pastParticiple: String {
        switch self {
        case .capture: return "captured"
        case .refund: return "refunded"
        case .void: return "voided"
        }
    }
}

extension OrderOperation {
    /// The business rules of an operation: may `kind` start on `order` (with `open`
    /// operations unfinished), and for how much (nil `requested`: the whole remainder).
    public static func check(
        _ kind: OperationRequest.Kind, requested: Int64?, order: Order, open: [OrderOperation]
    ) -> Result<Int64?, OperationRuleViolation> {
        if let busy = open.first { return .failure(.operationInProgress(busy)) }
        if let requested, requested <= 0 { return .failure(.amountNotPositive) }
        switch kind {
        case .capture:
            guard [.authorized, .partiallyCaptured, .partiallyCapturedRefunded].contains(order.status), order.capturableAmount > 0 else {
                return .failure(.wrongStatus(kind: kind, status: order.status))
            }
            let amount = requested ?? order.capturableAmount
            guard amount <= order.capturableAmount else { return .failure(.exceedsCapturable(requested: amount, available: order.capturableAmount)) }
            return .success(amount)
        case .refund:
            guard [.partiallyCaptured, .captured, .partiallyRefunded, .partiallyCapturedRefunded].contains(order.status), order.refundableAmount > 0 else {
                return .failure(.wrongStatus(kind: kind, status: order.status))
            }
            let amount = requested ?? order.refundableAmount
            guard amount <= order.refundableAmount else { return .failure(.exceedsRefundable(requested: amount, available: order.refundableAmount)) }
            return .success(amount)
        case .void:
            if order.capturedAmount > 0 || [.partiallyCaptured, .captured, .partiallyRefunded, .partiallyCapturedRefunded, .refunded].contains(order.status) {
                return .failure(.voidAfterCapture)
            }
            guard order.status == .authorized || order.status == .onHold else { return .failure(.wrongStatus(kind: kind, status: order.status)) }
            return .success(nil)
        }
    }
}

/// One line of an order's history (`GET /orders/{id}/events`).
public struct OrderEvent: Sendable, Equatable {
    public var at: Int64
    public var from: OrderStatus?
    public var to: OrderStatus
    /// What caused it: `create`, `redirect`, `callback`, `capture`, `refund`, `void`, `cancel`, `reconcile`, `sweeper`.
    public var source: String
    public var transactionID: String?
    public var amount: Int64?
    public var operationID: String?
    public var detail: String?

    public init(at: Int64, from: OrderStatus?, to: OrderStatus, source: String, transactionID: String?, amount: Int64? = nil, operationID: String? = nil, detail: String?) {
        self.at = at
        self.from = from
        self.to = to
        self.source = source
        self.transactionID = transactionID
        self.amount = amount
        self.operationID = operationID
        self.detail = detail
    }
}

/// The outcome of ``OrderStore/begin(_:requested:linking:)``.
public enum OperationStart: Sendable, Equatable {
    /// Recorded; the stored operation has its amount resolved.
    case started(Order, OrderOperation)
    case refused(Order, OperationRuleViolation)
    case notFound
}

/// A change to an operation, applied in the same transaction as an order change.
public struct OperationUpdate: Sendable, Equatable {
    public var id: String
    public var state: OrderOperation.State
    public var requestID: String?
    public var detail: String?

    public init(id: String, state: OrderOperation.State, requestID: String? = nil, detail: String? = nil) {
        self.id = id
        self.state = state
        self.requestID = requestID
        self.detail = detail
    }
}

extension OperationUpdate {
    /// The history line recorded when this update finishes or advances `operation`.
    public func eventDetail(for operation: OrderOperation) -> String {
        let what = "\(operation.kind.rawValue) \(state == .pending ? "accepted, pending at Dintero" : state.rawValue.split(separator: "_").joined(separator: " "))"
        return detail.map { "\(what): \($0)" } ?? what
    }
}
