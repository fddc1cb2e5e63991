/// Broker payment persistence. One instance per thread.
public protocol PaymentStore {
    /// Stores a new payment in `init`; with `link`, records it as the resource of that
    /// idempotency key in the same transaction.
    func insert(_ payment: Payment, linking link: IdempotencyLink?) throws
    /// The payment with this transaction id.
    func payment(transactionID: String) throws -> Payment?
    /// Moves a payment from `from` to `to` if ``PaymentState/allows(_:)`` permits and it is
    /// still in `from`; returns the stored payment after the move, or nil when another request
    /// moved it first (or the move is not allowed). Atomic across processes.
    func transition(transactionID: String, from: PaymentState, to: PaymentState, changes: PaymentChanges, at: Int64) throws -> Payment?
    /// Payments matching the query, latest state change first.
    func payments(_ query: PaymentListQuery) throws -> [Payment]
    /// Moves up to `limit` payments still in `from` whose latest change is before `cutoff` to
    /// `to` (which ``PaymentState/allows(_:)`` must permit), recording `changes`, in one
    /// transaction; returns how many.
    func transitionStale(from: PaymentState, to: PaymentState, updatedBefore cutoff: Int64, changes: PaymentChanges, at: Int64, limit: Int) throws -> Int
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
