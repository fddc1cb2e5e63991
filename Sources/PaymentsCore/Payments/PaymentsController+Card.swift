/// Card submission and the hosted card page.
extension PaymentsController {
    func submitCard(_ request: HTTPRequest, transactionID: String) throws -> HTTPResponse {
        let isForm = request.mediaType == "application/x-www-form-urlencoded"
        let fields: [String: String]
        if isForm {
            fields = Dictionary(FormEncoding.decode(request.body).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        } else {
            // Wrong types count as invalid card details, not as a malformed request.
            fields = (try JSONBody.object(request)).reduce(into: [:]) { result, member in
                if let text = member.1.stringValue { result[member.0] = text }
            }
        }
        guard let payment = try store.payment(transactionID: transactionID) else {
            return isForm ? CardPage.missing() : Self.message(Self.notFound, status: 404)
        }
        guard payment.state == .initial else {
            return isForm ? CardPage.closed(payment) : Self.message("Payment is not awaiting card details; its state is \(payment.state.rawValue).", status: 409)
        }
        guard let card = CardDetails(number: fields["cardno"], cvc: fields["cvc"], expiry: fields["enddate"], now: clock.now()) else {
            return isForm
                ? CardPage.form(payment, error: Self.invalidCard)
                : .json(.object([("url", .string(payment.returnURL)), ("error", .string(Self.invalidCard))]))
        }
        guard let claimed = try store.transition(
            transactionID: transactionID, from: .initial, to: .card,
            changes: PaymentChanges(maskedCard: card.masked), at: clock.now().epochMilliseconds
        ) else {
            // Another submission for this payment won the race.
            return isForm ? CardPage.closed(payment) : Self.message("Payment is not awaiting card details; it is already being processed.", status: 409)
        }
        let final = finish(claimed, card: card)
        log.info("payment \(transactionID) \(final.rawValue) (card \(card.masked))")
        return isForm ? .redirect(to: payment.returnURL, status: 303) : .json(.object([("url", .string(payment.returnURL))]))
    }

    /// Sends the card to the provider and records OK or ERROR; a failed call is ERROR with its
    /// reason, so no payment stays in `card`.
    private func finish(_ payment: Payment, card: CardDetails) -> PaymentState {
        let state: PaymentState
        let changes: PaymentChanges
        do {
            let outcome = try provider.charge(ProviderCharge(reference: payment.reference, amount: payment.amount, card: card))
            state = outcome.approved ? .ok : .error
            changes = PaymentChanges(paymentID: outcome.paymentID, errorReason: outcome.approved ? nil : "declined: \(outcome.reason ?? "no reason given")")
        } catch {
            log.warning("payment \(payment.transactionID): \(error)")
            state = .error
            changes = PaymentChanges(errorReason: error.description)
        }
        do {
            _ = try store.transition(transactionID: payment.transactionID, from: .card, to: state, changes: changes, at: clock.now().epochMilliseconds)
        } catch {
            // The stale-payment sweep moves it to ERROR later.
            log.error("payment \(payment.transactionID): recording \(state.rawValue) failed: \(error)")
        }
        return state
    }

    func cardPage(transactionID: String) throws -> HTTPResponse {
        guard let payment = try store.payment(transactionID: transactionID) else { return CardPage.missing() }
        guard payment.state == .initial else { return CardPage.closed(payment) }
        return CardPage.form(payment, error: nil)
    }
}

/// The hosted card page served under /payments.
enum CardPage {
    static func form(_ payment: Payment, error: String?) -> HTTPResponse {
        let amount = "£\(payment.amount / 100).\(String(format: "%02d", Int(payment.amount % 100)))"
        let action = "/payments/\(FormEncoding.percentEncode(payment.transactionID))/card"
        let errorLine = error.map { "<p role=\"alert\" style=\"color:#b00\">\(ShopperPage.escape($0))</p>" } ?? ""
        let form = """
            \(errorLine)
            <form method="post" action="\(ShopperPage.escape(action))" autocomplete="on">
              <p><label>Card number <input name="cardno" inputmode="numeric" autocomplete="cc-number" pattern="[0-9]{13,16}" required></label></p>
              <p><label>Expiry (MM/YY) <input name="enddate" autocomplete="cc-exp" placeholder="MM/YY" pattern="[0-9]{2}/[0-9]{2}" required></label></p>
              <p><label>CVC <input name="cvc" inputmode="numeric" autocomplete="cc-csc" pattern="[0-9]{3,4}" required></label></p>
              <p><button type="submit">Pay \(amount)</button></p>
            </form>
            """
        return secured(ShopperPage.render(title: "Pay \(amount)", message: "Reference \(payment.reference)", status: 200, body: form))
    }

    static func closed(_ payment: Payment) -> HTTPResponse {
        secured(ShopperPage.render(title: "Payment already submitted", message: "This payment is no longer waiting for card details.", status: 409))
    }

    static func missing() -> HTTPResponse {
        secured(ShopperPage.render(title: "Payment not found", message: PaymentsController.notFound, status: 404))
    }

    private static func secured(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers.append(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"))
        response.headers.append(("X-Frame-Options", "DENY"))
        response.headers.append(("Referrer-Policy", "no-referrer"))
        return response
    }
}
