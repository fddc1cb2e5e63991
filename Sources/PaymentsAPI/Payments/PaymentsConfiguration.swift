import Foundation
import ServiceSupport

/// Settings of the /payments broker.
public struct PaymentsConfiguration: Sendable {
    /// Where the shopper enters card details; every `{TXID}` is replaced by the transaction id.
    public var payPath: String
    /// Base URL of the provider connector.
    public var providerURL: String
    /// Bearer key sent to the provider, if it needs one.
    public var providerAPIKey: String?
    /// Timeout of a provider call, seconds.
    public var providerTimeout: Double
    /// The ISO 4217 currency of broker amounts (`PAYMENTS_CURRENCY`; the contract's pence: GBP).
    public var currency: String

    /// The placeholder in ``payPath``.
    public static let placeholder = "{TXID}"

    /// Creates a configuration; `payPath` must contain `{TXID}`.
    public init(payPath: String, providerURL: String, providerAPIKey: String?, providerTimeout: Double, currency: String = "GBP") throws {
        guard payPath.contains(Self.placeholder) else {
            throw ConfigurationError("PAY_PATH must contain \(Self.placeholder) (replaced by the transaction id), got \"\(payPath)\"")
        }
        self.payPath = payPath
        self.providerURL = providerURL
        self.providerAPIKey = providerAPIKey
        self.providerTimeout = providerTimeout
        self.currency = currency
    }

    /// The pay URL of a transaction.
    public func payURL(transactionID: String) -> String {
        payPath.replacingOccurrences(of: Self.placeholder, with: transactionID)
    }
}
