import Foundation
import HTTPKit
import PaymentsDomain

/// The hosted card page served under /payments.
enum CardPage {
    static func form(_ payment: Payment, error: String?) -> HTTPResponse {
        let amount = "£\(payment.amount / 100).\(String(format: "%02d", Int(payment.amount % 100)))"
        let action = "/payments/\(FormEncoding.percentEncode(payment.transactionID))/card"
        let errorLine = error.map { "<p role=\"alert\" style=\"color:#b00\">\(HTML.escape($0))</p>" } ?? ""
        let form = """
            \(errorLine)
            <form method="post" action="\(HTML.escape(action))" autocomplete="on">
              <p><label>Card number <input name="cardno" inputmode="numeric" autocomplete="cc-number" pattern="[0-9]{13,16}" required></label></p>
              <p><label>Expiry (MM/YY) <input name="enddate" autocomplete="cc-exp" placeholder="MM/YY" pattern="[0-9]{2}/[0-9]{2}" required></label></p>
              <p><label>CVC <input name="cvc" inputmode="numeric" autocomplete="cc-csc" pattern="[0-9]{3,4}" required></label></p>
              <p><button type="submit">Pay \(amount)</button></p>
            </form>
            """
        return secured(HTML.page(title: "Pay \(amount)", message: "Reference \(payment.reference)", status: .ok, body: form))
    }

    static func closed(_ payment: Payment) -> HTTPResponse {
        secured(HTML.page(title: "Payment already submitted", message: "This payment is no longer waiting for card details.", status: .conflict))
    }

    static func missing() -> HTTPResponse {
        secured(HTML.page(title: "Payment not found", message: PaymentsController.notFound, status: .notFound))
    }

    private static func secured(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers.append("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
        response.headers.append("X-Frame-Options", "DENY")
        response.headers.append("Referrer-Policy", "no-referrer")
        return response
    }
}
