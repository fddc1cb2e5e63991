import HTTPKit
import PaymentsDomain
import ServiceSupport

extension PaymentListQuery {
    static let parameters: Set<String> = ["status", "minAmount", "maxAmount", "minDate", "maxDate", "limit", "cursor"]

    /// Parses the query string; anything unknown or malformed is a 400 naming the parameter,
    /// never silently ignored.
    static func decode(_ request: HTTPRequest) throws(Problem) -> PaymentListQuery {
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
                query.limit = try ListLimit.parse(value)
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
