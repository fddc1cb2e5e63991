/// The status of an order, mirroring the Dintero transaction once one is verified.
public enum OrderStatus: String, Sendable, CaseIterable {
    /// Stored, Checkout session not created yet.
    case created = "CREATED"
    /// Creating the Checkout session failed; the order cannot be paid.
    case sessionFailed = "SESSION_FAILED"
    /// Session created; waiting for the shopper.
    case pending = "PENDING"
    /// The shopper cancelled on the payment page.
    case cancelled = "CANCELLED"
    case onHold = "ON_HOLD"
    case authorized = "AUTHORIZED"
    case partiallyCaptured = "PARTIALLY_CAPTURED"
    case captured = "CAPTURED"
    case partiallyRefunded = "PARTIALLY_REFUNDED"
    /// Part captured (more may follow), and part of that refunded.
    case partiallyCapturedRefunded = "PARTIALLY_CAPTURED_REFUNDED"
    case refunded = "REFUNDED"
    case authorizationVoided = "AUTHORIZATION_VOIDED"
    case failed = "FAILED"
    case declined = "DECLINED"
    /// The session passed its `expires_at` without a payment.
    case expired = "EXPIRED"

    /// The statuses a provider's payment transaction can have: the order mirrors them once
    /// it has a verified transaction.
    public static let transactionStatuses: Set<OrderStatus> = [
        .onHold, .authorized, .partiallyCaptured, .captured, .partiallyRefunded, .partiallyCapturedRefunded, .refunded,
        .authorizationVoided, .failed, .declined,
    ]

    /// True when the shopper's payment went through (authorized or further along).
    public var isPaid: Bool {
        [.authorized, .partiallyCaptured, .captured, .partiallyRefunded, .partiallyCapturedRefunded, .refunded].contains(self)
    }

    /// Whether an order in this status can have capture, refund or void operations, started or
    /// finished: its payment went through, is under review (a void may be sent) or was
    /// released. The one answer for every caller: the order's page lists them, and a
    /// transaction's events complete the open ones (``OrderOperation/check(_:requested:order:open:)``
    /// decides which may start).
    public var mayHaveOperations: Bool {
        isPaid || self == .onHold || self == .authorizationVoided
    }

    /// The statuses a verified transaction may move on to from this one. Dintero only moves a
    /// transaction forward, so an older snapshot arriving late (redirect and callback race)
    /// never moves the order back.
    private var transactionSuccessors: Set<OrderStatus> {
        switch self {
        case .onHold: return [.authorized, .partiallyCaptured, .captured, .failed, .declined]
        case .authorized: return [.partiallyCaptured, .captured, .authorizationVoided, .partiallyRefunded, .partiallyCapturedRefunded, .refunded]
        case .partiallyCaptured: return [.captured, .partiallyRefunded, .partiallyCapturedRefunded, .refunded]
        case .partiallyCapturedRefunded: return [.partiallyRefunded, .refunded]
        case .captured: return [.partiallyRefunded, .refunded]
        case .partiallyRefunded: return [.refunded]
        default: return []
        }
    }

    /// The one place that decides whether an order may move from `self` to `next`.
    ///
    /// - `hasTransaction`: the order already has a verified transaction.
    /// - `verified`: the new status comes from a verified Dintero transaction (not from an
    ///   unverifiable `error=` parameter).
    public func allows(_ next: OrderStatus, hasTransaction: Bool, verified: Bool) -> Bool {
        guard next != self else { return false }
        switch (self, next) {
        case (.created, .pending), (.created, .sessionFailed): return true
        case (.created, _), (.sessionFailed, _), (_, .created), (_, .pending), (_, .sessionFailed): return false
        default: break
        }
        if !verified {
            // An unverified outcome (cancel, error, expiry read from the session) only applies
            // to an order still waiting.
            return self == .pending && (next == .cancelled || next == .failed || next == .expired)
        }
        if !hasTransaction {
            // A verified transaction overrides anything that was set without one.
            return [.pending, .cancelled, .failed, .expired].contains(self) && Self.transactionStatuses.contains(next)
        }
        return transactionSuccessors.contains(next)
    }

    /// Statuses in which more of the payment may still happen (captures, refunds), so the
    /// reconciler keeps reading the transaction now and then.
    public static let open: [OrderStatus] = [.onHold, .authorized, .partiallyCaptured, .partiallyCapturedRefunded, .captured, .partiallyRefunded]
}
