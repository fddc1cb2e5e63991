import HTTPKit
import PaymentsDomain

extension Payment {
    /// The `GET /payments` element.
    var listJSON: JSONValue {
        .object([
            ("reference", .string(reference)),
            ("transactionId", .string(transactionID)),
            ("status", .string(state.listName)),
            ("paymentId", paymentID.map(JSONValue.string) ?? .null),
            ("timestamp", .int(updatedAt)),
            ("amount", .string(String(amount))),
        ])
    }
}
