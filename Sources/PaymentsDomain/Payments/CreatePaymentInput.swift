/// A validated `POST /payments` request.
public struct CreatePaymentInput: Sendable, Equatable {
    public var reference: String
    /// Pence.
    public var amount: Int64
    /// Where the shopper goes after the card step.
    public var returnURL: String

    /// Largest amount accepted, in pence (£1,000,000.00).
    public static let maximumAmount: Int64 = 100_000_000

    /// Creates an input value without validation.
    public init(reference: String, amount: Int64, returnURL: String) {
        self.reference = reference
        self.amount = amount
        self.returnURL = returnURL
    }
}
