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
        let action = "/payments/\(FormEncoding.percentEncode(payment.transactionID))/card"
        let summary = problems.isEmpty ? "" : "<p class=\"error\" role=\"alert\">\(PaymentsController.invalidCard): please correct the highlighted field\(problems.count > 1 ? "s" : "").</p>"
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
            </form>
            \(ShopperPage.link("Cancel and go back to \(branding.shopName)", to: payment.returnURL, secondary: true))
            """
        return ShopperPage.render(
            title: branding.merchantName.map { "Pay \($0)" } ?? "Pay \(amount)",
            lead: "Enter your card details to pay \(amount).",
            body: body,
            status: .ok,
            formAction: formTargets(payment)
        )
    }

    /// The payment is no longer waiting for a card.
    func closed(_ payment: Payment) -> HTTPResponse {
        ShopperPage.render(
            title: "Payment already submitted",
            lead: "This payment is no longer waiting for card details. Nothing more is needed here.",
            body: ShopperPage.link("Back to \(branding.shopName)", to: payment.returnURL),
            status: .conflict
        )
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
