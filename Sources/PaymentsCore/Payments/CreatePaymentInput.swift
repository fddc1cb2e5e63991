/// A validated `POST /payments` body.
public struct CreatePaymentInput: Sendable, Equatable {
    public var reference: String
    public var amount: Int64
    public var returnURL: String

    /// Largest amount accepted, in pence (£1,000,000.00).
    public static let maximumAmount: Int64 = 100_000_000

    /// Validates the body; throws a ``Problem`` naming the field.
    public static func parse(_ request: HTTPRequest) throws(Problem) -> CreatePaymentInput {
        let fields = Dictionary(try JSONBody.object(request), uniquingKeysWith: { first, _ in first })
        func string(_ name: String) throws(Problem) -> String {
            guard let value = fields[name], value != .null else { throw .invalidField(name, "\(name) is required.") }
            guard let text = value.stringValue else { throw .invalidField(name, "\(name) must be a string, got \(value.typeName).") }
            return text
        }
        let reference = try string("reference")
        guard !reference.isEmpty, reference.count <= 100,
              !reference.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidField("reference", "reference must be 1 to 100 characters without control characters.")
        }
        let amountText = try string("amount")
        guard let amount = Self.amount(amountText) else {
            throw .invalidField("amount", "amount must be pence as digits without sign, decimal point or leading zero, from 1 to \(maximumAmount).")
        }
        let returnURL = try string("returnUrl")
        guard returnURL.count <= 2048, Self.isAbsoluteHTTPURL(returnURL) else {
            throw .invalidField("returnUrl", "returnUrl must be an absolute http(s) URL.")
        }
        return CreatePaymentInput(reference: reference, amount: amount, returnURL: returnURL)
    }

    /// Pence from `"123456"`: digits only, no leading zero, 1...``maximumAmount``.
    public static func amount(_ text: String) -> Int64? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.count <= 12, CardDetails.isDigits(text),
              let value = Int64(text), value >= 1, value <= maximumAmount else { return nil }
        return value
    }

    static func isAbsoluteHTTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              !text.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "<" || $0 == ">" }) else { return false }
        let rest = text.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        return rest.count >= 3 && rest[1].isEmpty && !rest[2].isEmpty
    }
}
