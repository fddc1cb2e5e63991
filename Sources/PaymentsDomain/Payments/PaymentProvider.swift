/// What the provider is asked to charge. Holds the full card only in memory, for one call.
public struct ProviderCharge: Sendable {
    public var reference: String
    public var amount: Int64
    public var card: CardDetails

    /// Creates a charge.
    public init(reference: String, amount: Int64, card: CardDetails) {
        self.reference = reference
        self.amount = amount
        self.card = card
    }
}

/// The provider's answer: approved or declined, with its payment id.
public struct ProviderOutcome: Sendable, Equatable {
    public var approved: Bool
    public var paymentID: String?
    public var reason: String?

    /// Creates an outcome.
    public init(approved: Bool, paymentID: String?, reason: String? = nil) {
        self.approved = approved
        self.paymentID = paymentID
        self.reason = reason
    }
}

/// The payment provider connector.
public protocol PaymentProvider: Sendable {
    /// Charges the card; throws a description of the failure when there is no usable answer.
    func charge(_ charge: ProviderCharge) throws(ProviderError) -> ProviderOutcome
}

/// Why the provider gave no usable answer. Never carries card data.
public struct ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
