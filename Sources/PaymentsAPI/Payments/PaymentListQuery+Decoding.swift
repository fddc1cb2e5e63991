import HTTPKit
import PaymentsDomain

extension PaymentListQuery {
    static let parameters: Set<String> = ["status", "minAmount", "maxAmount", "minDate", "maxDate", "limit", "cursor"]

    /// Parses the query string; anything unknown or malformed is a 400 naming the parameter.
    static func decode(_ request: HTTPRequest) throws(Problem) -> PaymentListQuery {
        var query = PaymentListQuery()
        try ListParameters.each(request, known: parameters) { name, value throws(Problem) in
            switch name {
            case "status":
                guard let state = PaymentState(listName: value) else {
                    throw .invalidField(name, "status must be one of init, card, ok, error.")
                }
                query.state = state
            case "minAmount": query.minAmount = try ListParameters.amount(name, value, unit: "pence")
            case "maxAmount": query.maxAmount = try ListParameters.amount(name, value, unit: "pence")
            case "minDate": query.minDate = try ListParameters.date(name, value, endOfDay: false)
            case "maxDate": query.maxDate = try ListParameters.date(name, value, endOfDay: true)
            case "limit": query.limit = try ListParameters.limit(value)
            default: query.after = try ListParameters.cursor(value)
            }
        }
        try ListParameters.checkRanges(minAmount: query.minAmount, maxAmount: query.maxAmount, minDate: query.minDate, maxDate: query.maxDate)
        return query
    }
}
