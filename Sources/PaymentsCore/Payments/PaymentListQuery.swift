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

    static let parameters: Set<String> = ["status", "minAmount", "maxAmount", "minDate", "maxDate", "limit", "cursor"]

    /// Parses the query string; anything unknown or malformed is a 400 naming the parameter,
    /// never silently ignored.
    public static func parse(_ request: HTTPRequest) throws(Problem) -> PaymentListQuery {
        var query = PaymentListQuery()
        var seen = Set<String>()
        for (name, value) in request.queryItems {
            guard parameters.contains(name) else {
                throw .invalidField(name, "Unknown query parameter \(name); known: \(parameters.sorted().joined(separator: ", ")).")
            }
            guard seen.insert(name).inserted else { throw .invalidField(name, "\(name) is given more than once.") }
            switch name {
            case "status":
                guard let state = PaymentState(listName: value) else {
                    throw .invalidField(name, "status must be one of init, card, ok, error.")
                }
                query.state = state
            case "minAmount", "maxAmount":
                guard CardDetails.isDigits(value), value.count <= 12, let amount = Int64(value) else {
                    throw .invalidField(name, "\(name) must be pence as digits.")
                }
                if name == "minAmount" { query.minAmount = amount } else { query.maxAmount = amount }
            case "minDate":
                guard let date = date(value, endOfDay: false) else { throw badDate(name) }
                query.minDate = date
            case "maxDate":
                guard let date = date(value, endOfDay: true) else { throw badDate(name) }
                query.maxDate = date
            case "limit":
                guard let limit = Int(value), (1...1000).contains(limit) else {
                    throw .invalidField(name, "limit must be an integer from 1 to 1000.")
                }
                query.limit = limit
            default:  // cursor
                guard let cursor = ListCursor(value) else {
                    throw .invalidField(name, "cursor must be the value of a previous X-Next-Cursor header.")
                }
                query.after = cursor
            }
        }
        if let min = query.minAmount, let max = query.maxAmount, min > max {
            throw .invalidField("minAmount", "minAmount must not be greater than maxAmount.")
        }
        if let min = query.minDate, let max = query.maxDate, min > max {
            throw .invalidField("minDate", "minDate must not be after maxDate.")
        }
        return query
    }

    /// Epoch milliseconds (all digits), an ISO 8601 date-time, or a date (its first or, for an
    /// upper bound, last millisecond in UTC).
    static func date(_ text: String, endOfDay: Bool) -> Int64? {
        if CardDetails.isDigits(text) { return text.count <= 15 ? Int64(text) : nil }
        guard let parsed = Timestamp.parse(text) else { return nil }
        return endOfDay && text.count == 10 ? parsed + 86_399_999 : parsed
    }

    private static func badDate(_ name: String) -> Problem {
        .invalidField(name, "\(name) must be an ISO 8601 date (2026-11-22) or date-time in UTC, or epoch milliseconds.")
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
