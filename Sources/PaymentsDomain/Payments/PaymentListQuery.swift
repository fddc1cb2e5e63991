/// The filters and page of `GET /payments`. All filters are ANDed; bounds are inclusive.
public struct PaymentListQuery: Sendable, Equatable {
    public var state: PaymentState?
    public var minAmount: Int64?
    public var maxAmount: Int64?
    /// Epoch milliseconds, inclusive, on the latest state change.
    public var minDate: Int64?
    public var maxDate: Int64?
    public var limit: Int = 100
    /// Only payments after this position in the list (the next-page cursor).
    public var after: ListCursor?

    /// Creates a query.
    public init(state: PaymentState? = nil, minAmount: Int64? = nil, maxAmount: Int64? = nil, minDate: Int64? = nil, maxDate: Int64? = nil, limit: Int = 100, after: ListCursor? = nil) {
        self.state = state
        self.minAmount = minAmount
        self.maxAmount = maxAmount
        self.minDate = minDate
        self.maxDate = maxDate
        self.limit = limit
        self.after = after
    }
}
