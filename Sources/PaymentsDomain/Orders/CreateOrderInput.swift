/// A validated `POST /orders` body.
public struct CreateOrderInput: Sendable, Equatable {
    public var amount: Int64
    public var currency: String
    public var receipt: String?

    /// Limits applied to new orders.
    public struct Rules: Sendable {
        /// Accepted ISO 4217 codes.
        public var currencies: Set<String>
        /// Largest amount in minor units.
        public var maximumAmount: Int64
        /// Longest receipt in characters.
        public var maximumReceiptLength: Int

        /// Creates rules.
        public init(currencies: Set<String> = ["NOK", "SEK", "DKK", "EUR", "USD", "GBP"], maximumAmount: Int64 = 100_000_000, maximumReceiptLength: Int = 255) {
            self.currencies = currencies
            self.maximumAmount = maximumAmount
            self.maximumReceiptLength = maximumReceiptLength
        }
    }

    /// Creates a value without validation.
    public init(amount: Int64, currency: String, receipt: String?) {
        self.amount = amount
        self.currency = currency
        self.receipt = receipt
    }
}
