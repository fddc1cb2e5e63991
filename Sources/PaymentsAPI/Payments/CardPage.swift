import HTTPKit
import PaymentsDomain
import ServiceSupport

/// The hosted card page served under /payments.
struct CardPage {
    let configuration: PaymentsConfiguration
    let branding: ShopBranding

    /// What the shopper typed, shown again after an error (never the CVC).
    struct Entered {
        var number = ""
        var expiry = ""
    }

    /// The form, with `problems` next to the fields at fault.
    func form(_ payment: Payment, entered: Entered = Entered(), problems: [CardDetails.Field: String] = [:]) -> HTTPResponse {
        let amount = MoneyFormat.format(minorUnits: payment.amount, currency: configuration.currency)
        let action = Self.path(payment, "card")
        // After an error, focus moves to the summary (autofocus, no script) so a screen reader
        // announces it and a keyboard user starts from it.
        let summary = problems.isEmpty ? "" : "<p class=\"error\" role=\"alert\" id=\"error-summary\" tabindex=\"-1\" autofocus>\(PaymentsController.invalidCard): please correct the highlighted field\(problems.count > 1 ? "s" : "").</p>"
        let body = """
            \(summary)
            <dl><dt>Reference</dt><dd>\(HTML.escape(payment.reference))</dd><dt>Amount</dt><dd>\(HTML.escape(amount))</dd></dl>
            <form method="post" action="\(HTML.escape(action))" autocomplete="on" novalidate>
            \(field(.number, label: "Card number", value: entered.number, problems: problems,
                    attributes: #"inputmode="numeric" autocomplete="cc-number" maxlength="23" placeholder="1234 5678 9012 3456""#))
            \(field(.expiry, label: "Expiry date (MM/YY)", value: entered.expiry, problems: problems,
                    attributes: #"inputmode="numeric" autocomplete="cc-exp" maxlength="5" placeholder="MM/YY""#))
            \(field(.cvc, label: "Security code (CVC)", value: "", problems: problems,
                    attributes: #"inputmode="numeric" autocomplete="cc-csc" maxlength="4""#))
            <button type="submit">Pay \(HTML.escape(amount))</button>
            <p class="hint">Press Pay once: the card provider can take a few seconds to answer, and this page then shows the outcome.</p>
            </form>
            <form method="post" action="\(HTML.escape(Self.path(payment, "cancel")))">
            <button type="submit" class="secondary">Cancel and go back to \(HTML.escape(branding.shopName))</button>
            </form>
            """
        let title = branding.merchantName.map { "Pay \($0)" } ?? "Pay \(amount)"
        return ShopperPage.render(
            title: problems.isEmpty ? title : "Error: \(title)",
            heading: title,
            lead: "Enter your card details to pay \(amount).",
            body: body,
            status: .ok,
            formAction: formTargets(payment)
        )
    }

    /// A payment past its form: in progress (the page reloads itself until the provider has
    /// answered), or what became of it, with the way back to the shop carrying the outcome.
    func outcome(_ payment: Payment) -> HTTPResponse {
        let outcome = payment.outcome
        let amount = MoneyFormat.format(minorUnits: payment.amount, currency: configuration.currency)
        let back = ShopperPage.link(
            outcome == .approved ? "Continue to \(branding.shopName)" : "Back to \(branding.shopName)",
            to: Self.returnLink(payment, outcome: outcome), secondary: !outcome.isFinal
        )
        let details = "<dl><dt>Reference</dt><dd>\(HTML.escape(payment.reference))</dd><dt>Amount</dt><dd>\(HTML.escape(amount))</dd></dl>"
        let (title, lead): (String, String)
        switch outcome {
        case .awaitingCard, .processing:
            (title, lead) = ("Payment in progress", "We are waiting for the card provider's answer. Please do not pay again: this page updates by itself and shows the outcome.")
        case .approved:
            (title, lead) = ("Payment approved", "Your payment of \(amount) was approved. Thank you!")
        case .declined(let reason):
            (title, lead) = ("Payment declined", "\(Self.declineSentence(reason)) Nothing was charged. Go back to \(branding.shopName) to try another card or another way to pay.")
        case .failed:
            (title, lead) = ("Payment not completed", "The card provider could not complete the payment. Nothing was charged. Go back to \(branding.shopName) to try again.")
        case .cancelled:
            (title, lead) = ("Payment cancelled", "You cancelled this payment. Nothing was charged.")
        }
        return ShopperPage.render(title: title, lead: lead, body: details + back, status: .ok, refreshSeconds: outcome.isFinal ? nil : 2)
    }

    /// The path of one of the payment's shopper routes (`pay`, `card`, `cancel`).
    static func path(_ payment: Payment, _ route: String) -> String {
        "/payments/\(FormEncoding.percentEncode(payment.transactionID))/\(route)"
    }

    /// `returnUrl` with the outcome added (`status`, `transactionId`, and `reason` for a
    /// decline), so the shop can tell the shopper too; a fragment stays last.
    static func returnLink(_ payment: Payment, outcome: PaymentOutcome) -> String {
        var parameters = [("status", outcome.returnStatus), ("transactionId", payment.transactionID)]
        if case .declined(let reason?) = outcome { parameters.append(("reason", reason)) }
        let query = parameters.map { "\($0.0)=\(FormEncoding.percentEncode($0.1))" }.joined(separator: "&")
        let url = payment.returnURL
        let fragmentStart = url.firstIndex(of: "#") ?? url.endIndex
        let base = url[..<fragmentStart]
        return base + (base.contains("?") ? "&" : "?") + query + url[fragmentStart...]
    }

    /// Why a card was declined, for the shopper.
    private static func declineSentence(_ reason: String?) -> String {
        switch reason {
        case "insufficient_funds": return "Your card was declined: there are not enough funds on it."
        case "expired_card": return "Your card was declined: it has expired."
        default: return "Your card was declined by its bank."
        }
    }

    /// No such payment.
    func missing() -> HTTPResponse {
        ShopperPage.render(
            title: "Payment not found",
            lead: PaymentsController.notFound + " Check the link you were given.",
            body: ShopperPage.link("Back to \(branding.shopName)", to: branding.shopURL),
            status: .notFound
        )
    }

    /// The form posts to this page's own origin, which then redirects (303) to the caller's
    /// `returnUrl`; CSP's form-action covers that redirect too, so the payment's own return
    /// origin is allowed beside 'self' and nothing else is.
    private func formTargets(_ payment: Payment) -> [String] {
        ["'self'"] + (AbsoluteHTTPURL.origin(of: payment.returnURL).map { [$0] } ?? [])
    }

    private func field(_ field: CardDetails.Field, label: String, value: String, problems: [CardDetails.Field: String], attributes: String) -> String {
        let name = field.rawValue
        guard let problem = problems[field] else {
            return "<label for=\"\(name)\">\(label)</label><input id=\"\(name)\" name=\"\(name)\" value=\"\(HTML.escape(value))\" \(attributes)>"
        }
        return """
            <label for="\(name)">\(label)</label><input id="\(name)" name="\(name)" value="\(HTML.escape(value))" aria-invalid="true" aria-describedby="\(name)-error" \(attributes)>
            <p class="error" id="\(name)-error">\(HTML.escape(problem))</p>
            """
    }
}
