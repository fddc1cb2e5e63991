/// The state of a broker payment. Only `init → card → OK | ERROR` is allowed.
public enum PaymentState: String, Sendable, CaseIterable {
    /// Created; waiting for card details.
    case initial = "init"
    /// Valid card details received and sent to the provider.
    case card = "card"
    /// The provider approved.
    case ok = "OK"
    /// The provider declined or could not be reached.
    case error = "ERROR"

    /// The one place that decides whether a payment may move from `self` to `next`.
    public func allows(_ next: PaymentState) -> Bool {
        switch (self, next) {
        // init → ERROR: the shopper cancelled on the hosted page.
        case (.initial, .card), (.initial, .error), (.card, .ok), (.card, .error): return true
        default: return false
        }
    }

    /// The lower-case name used by `GET /payments` (`init`, `card`, `ok`, `error`).
    public var listName: String { rawValue.lowercased() }

    /// The state for a list filter value, case-insensitively.
    public init?(listName: String) {
        guard let state = PaymentState.allCases.first(where: { $0.rawValue.lowercased() == listName.lowercased() }) else { return nil }
        self = state
    }
}

/// A payment requested by a calling service.
public struct Payment: Sendable, Equatable {
    /// Store sequence number (creation order); breaks timestamp ties in the list.
    public var sequence: Int64
    /// Random UUID; the only capability the shopper holds.
    public var transactionID: String
    public var reference: String
    /// Pence.
    public var amount: Int64
    public var returnURL: String
    public var state: PaymentState
    /// The provider's id, once it answered.
    public var paymentID: String?
    /// First 6 and last 4 digits of the card, the rest masked.
    public var maskedCard: String?
    /// Why the payment ended in ERROR.
    public var errorReason: String?
    public var createdAt: Int64
    /// Latest state change, epoch milliseconds.
    public var updatedAt: Int64

    /// Creates a payment value.
    public init(
        sequence: Int64 = 0, transactionID: String, reference: String, amount: Int64, returnURL: String, state: PaymentState,
        paymentID: String? = nil, maskedCard: String? = nil, errorReason: String? = nil, createdAt: Int64, updatedAt: Int64
    ) {
        self.sequence = sequence
        self.transactionID = transactionID
        self.reference = reference
        self.amount = amount
        self.returnURL = returnURL
        self.state = state
        self.paymentID = paymentID
        self.maskedCard = maskedCard
        self.errorReason = errorReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
