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

/// A position in the payment list: the last row's timestamp and sequence number.
public struct ListCursor: Sendable, Equatable, CustomStringConvertible {
    public var timestamp: Int64
    public var sequence: Int64

    /// The cursor after `payment`.
    public init(after payment: Payment) {
        timestamp = payment.updatedAt
        sequence = payment.sequence
    }

    /// Parses `timestamp.sequence`.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ CardDetails.isDigits(String($0)) && $0.count <= 18 }),
              let timestamp = Int64(parts[0]), let sequence = Int64(parts[1]) else { return nil }
        self.timestamp = timestamp
        self.sequence = sequence
    }

    public var description: String { "\(timestamp).\(sequence)" }
}
