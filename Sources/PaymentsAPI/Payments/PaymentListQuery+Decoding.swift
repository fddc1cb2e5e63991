import HTTPKit
import PaymentsDomain

extension PaymentListQuery {
    static let parameters: Set<String> = ["status", "minAmount", "maxAmount", "minDate", "maxDate", "limit", "cursor"]

    /// Parses the query string; anything unknown or malformed is a 400 naming the parameter.
    static func decode(_ request: HTTPRequest) throws(Problem) -> PaymentListQuery {
        var query = PaymentListQuery()
        try ListParameters.each(request, known: parameters) { name, value throws(Problem) in
            if try ListParameters.readShared(name, value, into: &query, amountUnit: "pence") { return }
            guard let state = PaymentState(listName: value) else {  // status
                throw .invalidField(name, "status must be one of init, card, ok, error.")
            }
            query.state = state
        }
        try ListParameters.checkRanges(query)
        return query
    }
}
