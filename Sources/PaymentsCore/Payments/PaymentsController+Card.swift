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
