/// Broker payment persistence. One instance per thread.
public protocol PaymentStore {
    /// Stores a new payment in `init`; with `link`, records it as the resource of that
    /// idempotency key in the same transaction.
    func insert(_ payment: Payment, linking link: IdempotencyLink?) throws
    /// The payment with this transaction id.
    func payment(transactionID: String) throws -> Payment?
    /// Applies `move` if the payment is still in its `from` state (a compare-and-set, atomic
    /// across processes); returns the stored payment after the move, or nil when another
    /// request moved it first or there is no such payment.
    func transition(transactionID: String, _ move: PaymentMove, changes: PaymentChanges, at: Int64) throws -> Payment?
    /// Payments matching the query, latest state change first.
    func payments(_ query: PaymentListQuery) throws -> [Payment]
    /// Applies `move` to up to `limit` payments still in its `from` state whose latest change is
    /// before `cutoff`, recording `changes`, in one transaction; returns how many.
    func transitionStale(_ move: PaymentMove, updatedBefore cutoff: Int64, changes: PaymentChanges, at: Int64, limit: Int) throws -> Int
}

/// A move from one payment state to another that ``PaymentState/allows(_:)`` permits: a move
/// the domain forbids cannot be made, so a store only applies moves and its nil means one
/// thing, another request moved the payment first.
public struct PaymentMove: Sendable, Equatable {
    public let from: PaymentState
    public let to: PaymentState

    /// The move, or nil when the domain forbids it.
    public init?(from: PaymentState, to: PaymentState) {
        guard from.allows(to) else { return nil }
        self.from = from
        self.to = to
    }

    /// A card was submitted and claims the payment (exactly one submission wins).
    public static let claim = PaymentMove(checked: .initial, .card)
    /// The shopper went back to the shop without paying.
    public static let shopperCancel = PaymentMove(checked: .initial, .error)
    /// The provider approved.
    public static let approve = PaymentMove(checked: .card, .ok)
    /// The provider declined, could not be reached, or its outcome was lost.
    public static let fail = PaymentMove(checked: .card, .error)

    private init(checked from: PaymentState, _ to: PaymentState) {
        precondition(from.allows(to), "\(from) -> \(to) is not a payment transition")
        self.from = from
        self.to = to
    }
}

/// Fields recorded with a state change.
public struct PaymentChanges: Sendable {
    public var paymentID: String?
    public var maskedCard: String?
    public var errorReason: String?

    /// Creates the changes.
    public init(paymentID: String? = nil, maskedCard: String? = nil, errorReason: String? = nil) {
        self.paymentID = paymentID
        self.maskedCard = maskedCard
        self.errorReason = errorReason
    }
}

extension PaymentStore {
    /// Stores a new payment without an idempotency key.
    public func insert(_ payment: Payment) throws { try insert(payment, linking: nil) }
}
