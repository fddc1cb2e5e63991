import HTTPKit
import PaymentsDomain
import ServiceSupport

extension CreatePaymentInput {
    /// Validates the body; throws a ``Problem`` naming the field.
    static func decode(_ request: HTTPRequest) throws(Problem) -> CreatePaymentInput {
        let fields = Dictionary(try JSONBody.object(request, allowing: ["reference", "amount", "returnUrl"]), uniquingKeysWith: { first, _ in first })
        func string(_ name: String) throws(Problem) -> String {
            guard let value = fields[name], value != .null else { throw .invalidField(name, "\(name) is required.") }
            guard let text = value.stringValue else { throw .invalidField(name, "\(name) must be a string, got \(value.typeName).") }
            return text
        }
        let reference = try string("reference")
        // Counted in code points, as JSON Schema (and the OpenAPI document) counts maxLength.
        guard !reference.isEmpty, reference.unicodeScalars.count <= 100,
              !reference.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidField("reference", "reference must be 1 to 100 characters without control characters.")
        }
        let amountText = try string("amount")
        guard let amount = Self.amount(amountText) else {
            throw .invalidField("amount", "amount must be pence as digits without sign, decimal point or leading zero, from 1 to \(maximumAmount).")
        }
        let returnURL = try string("returnUrl")
        guard returnURL.count <= 2048, AbsoluteHTTPURL.isValid(returnURL) else {
            throw .invalidField("returnUrl", "returnUrl must be an absolute http(s) URL.")
        }
        return CreatePaymentInput(reference: reference, amount: amount, returnURL: returnURL)
    }

    /// Pence from `"123456"`: digits only, no leading zero, 1...``maximumAmount``.
    static func amount(_ text: String) -> Int64? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.count <= 12, CardDetails.isDigits(text),
              let value = Int64(text), value >= 1, value <= maximumAmount else { return nil }
        return value
    }
}
