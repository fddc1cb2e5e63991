/// What became of a payment, in the words the shopper's pages and the shop's `returnUrl` use.
///
/// Derived from the state and the recorded reason, so the pages, the return link and the
/// metrics agree on what a declined, failed or cancelled payment is.
public enum PaymentOutcome: Sendable, Equatable {
    /// Waiting for card details.
    case awaitingCard
    /// The card was sent to the provider; no answer yet.
    case processing
    /// The provider approved.
    case approved
    /// The provider refused the card (`reason` is the provider's code, such as
    /// `insufficient_funds`, when it gave one).
    case declined(reason: String?)
    /// The provider could not be reached, failed or did not answer in time, or the charge was
    /// interrupted: nothing is known to be charged.
    case failed
    /// The shopper went back to the shop instead of paying.
    case cancelled

    /// The start of the recorded reason of a payment the provider declined.
    public static let declinedPrefix = "declined: "
    /// The recorded reason of a payment the shopper cancelled.
    public static let cancelledReason = "cancelled: the shopper went back to the shop"

    /// What a refusal without a code records after ``declinedPrefix``.
    static let noCode = "no reason given"

    /// The reason to record for a provider's refusal.
    public static func declinedReason(_ code: String?) -> String { declinedPrefix + (code ?? noCode) }


    /// The value of the `status` parameter added to `returnUrl`.
    public var returnStatus: String {
        switch self {
        case .awaitingCard, .processing: return "pending"
        case .approved: return "ok"
        case .declined: return "declined"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        }
    }

    /// True once the payment will not change again.
    public var isFinal: Bool {
        switch self {
        case .awaitingCard, .processing: return false
        default: return true
        }
    }
}

extension Payment {
    /// What became of the payment.
    public var outcome: PaymentOutcome {
        switch state {
        case .initial: return .awaitingCard
        case .card: return .processing
        case .ok: return .approved
        case .error:
            guard let reason = errorReason else { return .failed }
            if reason == PaymentOutcome.cancelledReason { return .cancelled }
            if reason.hasPrefix(PaymentOutcome.declinedPrefix) {
                let code = String(reason.dropFirst(PaymentOutcome.declinedPrefix.count))
                return .declined(reason: code == PaymentOutcome.noCode ? nil : code)
            }
            return .failed
        }
    }
}
