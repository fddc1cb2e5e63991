import HTTPKit
import PaymentsDomain

/// The body of `POST /orders/{id}/capture|refund|void`: all optional, so an empty body (or
/// none) means "the whole remainder".
struct OperationInput {
    var amount: Int64?
    var reason: String?

    static func decode(_ request: HTTPRequest, kind: OperationRequest.Kind) throws(Problem) -> OperationInput {
        let allowed: [String] = switch kind {
        case .capture: ["amount", "items"]
        case .refund: ["amount", "reason"]
        case .void: []
        }
        return try decode(request, allowed: allowed)
    }

    /// The body of an operation that takes `allowed` fields: none at all, or a JSON object
    /// of only those (a cancel, like a void, takes none).
    static func decode(_ request: HTTPRequest, allowed: [String]) throws(Problem) -> OperationInput {
        guard !request.body.isEmpty || request.bodyExceedsLimit else { return OperationInput() }
        let object = try JSONBody.object(request, allowing: allowed)
        let fields = Dictionary(object, uniquingKeysWith: { first, _ in first })
        var input = OperationInput()
        if let value = fields["amount"], value != .null {
            guard case .number = value, let amount = value.integerValue, amount >= 1 else {
                throw .invalidField("amount", "amount must be a positive integer in minor units.")
            }
            input.amount = amount
        }
        if let value = fields["items"], value != .null, value.arrayValue == nil {
            throw .invalidField("items", "items must be an array of order lines.")
        }
        if let value = fields["reason"], value != .null {
            guard let text = value.stringValue, text.unicodeScalars.count <= 200,
                  !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalidField("reason", "reason must be a string of at most 200 characters without control characters.")
            }
            input.reason = text
        }
        return input
    }
}
