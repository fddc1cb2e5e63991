import HTTPKit
import PaymentsDomain

extension OrderListQuery {
    static let parameters: Set<String> = ["status", "currency", "receipt", "minAmount", "maxAmount", "minDate", "maxDate", "limit", "cursor"]

    /// Parses the query string; anything unknown or malformed is a 400 naming the parameter.
    static func decode(_ request: HTTPRequest) throws(Problem) -> OrderListQuery {
        var query = OrderListQuery(limit: ListParameters.defaultLimit)
        try ListParameters.each(request, known: parameters) { name, value throws(Problem) in
            if try ListParameters.readShared(name, value, into: &query, amountUnit: "minor units") { return }
            switch name {
            case "status":
                guard let status = OrderStatus(rawValue: value.uppercased()) else {
                    throw .invalidField(name, "status must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                query.status = status
            case "currency":
                guard value.count == 3, value.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
                    throw .invalidField(name, "currency must be a 3-letter upper-case ISO 4217 code such as NOK.")
                }
                query.currency = value
            default: query.receipt = value  // receipt
            }
        }
        try ListParameters.checkRanges(query)
        return query
    }
}
