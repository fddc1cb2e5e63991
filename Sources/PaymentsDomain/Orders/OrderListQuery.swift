/// The filters and page of `GET /orders`. All filters are ANDed; bounds are inclusive.
public struct OrderListQuery: Sendable, Equatable {
    public var status: OrderStatus?
    public var currency: String?
    /// Exact receipt text.
    public var receipt: String?
    /// Minor units, inclusive.
    public var minAmount: Int64?
    public var maxAmount: Int64?
    /// Epoch milliseconds, inclusive, on the creation time.
    public var minDate: Int64?
    public var maxDate: Int64?
    public var limit: Int
    /// Only orders after this position in the list (the next-page cursor).
    public var after: ListCursor?

    /// Creates a query; `limit` 100 is the documented default page.
    public init(
        status: OrderStatus? = nil, currency: String? = nil, receipt: String? = nil, minAmount: Int64? = nil, maxAmount: Int64? = nil,
        minDate: Int64? = nil, maxDate: Int64? = nil, limit: Int = 100, after: ListCursor? = nil
    ) {
        self.status = status
        self.currency = currency
        self.receipt = receipt
        self.minAmount = minAmount
        self.maxAmount = maxAmount
        self.minDate = minDate
        self.maxDate = maxDate
        self.limit = limit
        self.after = after
    }
}
