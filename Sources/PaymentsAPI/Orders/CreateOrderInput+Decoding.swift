import HTTPKit
import PaymentsDomain

extension CreateOrderInput {
    /// Validates a request; throws a ``Problem`` naming the field at fault.
    static func decode(_ request: HTTPRequest, rules: Rules) throws(Problem) -> CreateOrderInput {
        let object = try JSONBody.object(request, allowing: ["amount", "currency", "receipt"])
        let fields = Dictionary(object, uniquingKeysWith: { first, _ in first })

        guard let amountValue = fields["amount"], amountValue != .null else {
            throw .invalidField("amount", "amount is required: a positive integer in minor units (29900 = 299.00).")
        }
        guard case .number = amountValue, let amount = amountValue.integerValue else {
            throw .invalidField("amount", "amount must be an integer in minor units, got \(amountValue.typeName == "number" ? "a non-integer number" : amountValue.typeName).")
        }
        guard amount >= 1, amount <= rules.maximumAmount else {
            throw .invalidField("amount", "amount must be between 1 and \(rules.maximumAmount) minor units.")
        }

        guard let currencyValue = fields["currency"], currencyValue != .null else {
            throw .invalidField("currency", "currency is required: a 3-letter ISO 4217 code such as NOK.")
        }
        guard let currency = currencyValue.stringValue else {
            throw .invalidField("currency", "currency must be a string, got \(currencyValue.typeName).")
        }
        guard currency.count == 3, currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw .invalidField("currency", "currency must be a 3-letter upper-case ISO 4217 code such as NOK.")
        }
        guard rules.currencies.contains(currency) else {
            throw .invalidField("currency", "currency \(currency) is not accepted; accepted: \(rules.currencies.sorted().joined(separator: ", ")).")
        }

        var receipt: String?
        if let receiptValue = fields["receipt"], receiptValue != .null {
            guard let text = receiptValue.stringValue else {
                throw .invalidField("receipt", "receipt must be a string, got \(receiptValue.typeName).")
            }
            // Counted in code points, as JSON Schema (and the OpenAPI document) counts maxLength.
            guard text.unicodeScalars.count <= rules.maximumReceiptLength else {
                throw .invalidField("receipt", "receipt must be at most \(rules.maximumReceiptLength) characters.")
            }
            guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalidField("receipt", "receipt must not contain control characters.")
            }
            receipt = text
        }
        return CreateOrderInput(amount: amount, currency: currency, receipt: receipt)
    }
}
