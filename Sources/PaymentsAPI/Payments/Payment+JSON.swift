import HTTPKit
import PaymentsDomain

extension Payment {
    /// Writes the `GET /payments` element.
    func writeListElement(to json: inout JSONWriter) {
        json.object { json in
            json.key("reference"); json.string(reference)
            json.key("transactionId"); json.string(transactionID)
            json.key("status"); json.string(state.listName)
            json.key("paymentId"); json.string(paymentID)
            json.key("timestamp"); json.int(updatedAt)
            // A string in the pay-broker contract.
            json.key("amount"); json.unescapedString { $0.append(contentsOf: String(amount).utf8) }
        }
    }
}
