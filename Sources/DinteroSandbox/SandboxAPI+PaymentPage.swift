import Foundation
import HTTPKit
import ServiceSupport

/// The hosted payment page: pay (with a chosen outcome) or cancel, then back to return_url.
extension SandboxAPI {
    /// Outcomes a tester can pick on the page, as Dintero transaction statuses.
    static let outcomes = ["AUTHORIZED", "CAPTURED", "ON_HOLD", "FAILED", "DECLINED"]

    func paymentPage(sessionID: String) -> HTTPResponse {
        guard let session = state.session(sessionID) else {
            return HTML.page(title: "Session not found", message: "This payment session does not exist.", status: 404)
        }
        guard !session.cancelled else {
            return HTML.page(title: "Session cancelled", message: "This payment session was cancelled; nothing was charged.", status: 410)
        }
        guard session.transactionID == nil else {
            return HTML.page(title: "Session closed", message: "This payment session is already completed.", status: 410)
        }
        state.visit(sessionID)
        let amount = String(format: "%.2f", Double(session.amount) / 100)
        let options = Self.outcomes.map { "<option value=\"\($0)\">\($0)</option>" }.joined()
        let escapedID = HTML.escape(FormEncoding.percentEncode(session.id))
        let form = """
            <p>Dintero sandbox (local, test only). Merchant reference \(HTML.escape(session.merchantReference)).</p>
            <form method="post" action="/v1/view/\(escapedID)/pay">
              <label>Outcome <select name="outcome">\(options)</select></label>
              <button type="submit" name="action" value="pay">Pay \(amount) \(HTML.escape(session.currency))</button>
            </form>
            <form method="post" action="/v1/view/\(escapedID)/cancel">
              <button type="submit" name="action" value="cancel">Cancel</button>
            </form>
            """
        return HTML.page(title: "Pay \(amount) \(session.currency)", message: "Choose how this test payment ends.", status: 200, body: form)
    }

    func pay(_ request: HTTPRequest, sessionID: String) -> HTTPResponse {
        let outcome = FormEncoding.decode(request.body).first { $0.name == "outcome" }?.value ?? "AUTHORIZED"
        guard Self.outcomes.contains(outcome) else {
            return HTML.page(title: "Invalid outcome", message: "Unknown outcome \(outcome).", status: 400)
        }
        guard let (session, transaction) = state.pay(sessionID: sessionID, status: outcome, transactionIDPrefix: "\(configuration.accountID).") else {
            return HTML.page(title: "Session closed", message: "This payment session is unknown or already completed.", status: 410)
        }
        let parameters = [
            ("transaction_id", transaction.id),
            ("session_id", session.id),
            ("merchant_reference", session.merchantReference),
        ]
        let failed = ["FAILED", "DECLINED"].contains(outcome)
        if let callbackURL = session.callbackURL {
            if failed {
                callbacks.deliver(to: callbackURL, .error("failed"), parameters: parameters, body: transaction.json)
            } else {
                callbacks.deliver(to: callbackURL, .authorize, parameters: parameters, body: transaction.json)
            }
        }
        log.info("session \(session.id) paid: transaction \(transaction.id) \(outcome)")
        // Dintero's spec: "if the payment failed, an error query parameter will be appended".
        return .redirect(to: Self.url(session.returnURL, adding: parameters + (failed ? [("error", "failed")] : [])), status: 302)
    }

    func cancel(sessionID: String) -> HTTPResponse {
        guard let session = state.cancel(sessionID: sessionID) else {
            return HTML.page(title: "Session closed", message: "This payment session is unknown or already completed.", status: 410)
        }
        if let callbackURL = session.callbackURL {
            callbacks.deliver(to: callbackURL, .error("cancelled"), parameters: [("session_id", session.id), ("merchant_reference", session.merchantReference)])
        }
        return .redirect(to: Self.url(session.returnURL, adding: [
            ("error", "cancelled"),
            ("session_id", session.id),
            ("merchant_reference", session.merchantReference),
        ]), status: 302)
    }

    static func url(_ base: String, adding parameters: [(String, String)]) -> String {
        base + (base.contains("?") ? "&" : "?") + FormEncoding.encode(parameters)
    }
}
