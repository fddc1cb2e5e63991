/// An order and its payment state.
public struct Order: Sendable, Equatable {
    /// Lower-case UUID; also Dintero's `merchant_reference`.
    public var id: String
    /// Store sequence number (insertion order); breaks creation-time ties in the list.
    public var sequence: Int64
    /// Creation time, epoch milliseconds.
    public var createdAt: Int64
    /// Last change, epoch milliseconds.
    public var updatedAt: Int64
    /// Amount in minor units.
    public var amount: Int64
    /// ISO 4217 code.
    public var currency: String
    /// The merchant's receipt text, if any.
    public var receipt: String?
    public var status: OrderStatus
    /// Dintero Checkout session id, once created.
    public var sessionID: String?
    /// The hosted payment page, once the session exists.
    public var sessionURL: String?
    /// The verified Dintero transaction, once known.
    public var transactionID: String?
    /// Captured so far, minor units (from the transaction's successful CAPTURE events).
    public var capturedAmount: Int64 = 0
    /// Refunded so far, minor units (from the transaction's successful REFUND events).
    public var refundedAmount: Int64 = 0
    /// When the Checkout session stops accepting payment, epoch milliseconds.
    public var expiresAt: Int64?

    /// Creates an order value.
    public init(
        id: String, sequence: Int64 = 0, createdAt: Int64, updatedAt: Int64, amount: Int64, currency: String, receipt: String?,
        status: OrderStatus, sessionID: String? = nil, sessionURL: String? = nil, transactionID: String? = nil,
        capturedAmount: Int64 = 0, refundedAmount: Int64 = 0, expiresAt: Int64? = nil
    ) {
        self.id = id
        self.sequence = sequence
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.amount = amount
        self.currency = currency
        self.receipt = receipt
        self.status = status
        self.sessionID = sessionID
        self.sessionURL = sessionURL
        self.transactionID = transactionID
        self.capturedAmount = capturedAmount
        self.refundedAmount = refundedAmount
        self.expiresAt = expiresAt
    }

    /// Authorized but not captured yet (nothing once voided or before payment).
    public var capturableAmount: Int64 {
        [.authorized, .partiallyCaptured, .partiallyCapturedRefunded].contains(status) ? max(0, amount - capturedAmount) : 0
    }

    /// Captured and not refunded yet.
    public var refundableAmount: Int64 { max(0, capturedAmount - refundedAmount) }
}
