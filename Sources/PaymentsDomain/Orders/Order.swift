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

    /// Creates an order value.
    public init(
        id: String, sequence: Int64 = 0, createdAt: Int64, updatedAt: Int64, amount: Int64, currency: String, receipt: String?,
        status: OrderStatus, sessionID: String? = nil, sessionURL: String? = nil, transactionID: String? = nil
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
    }
}
