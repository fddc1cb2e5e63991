import HTTPKit
import PaymentsDomain

/// Card submission (form from the hosted page, or JSON) and the hosted card page.
extension PaymentsController {
    /// A card submission; with an `Idempotency-Key` (API clients; the hosted page sends none)
    /// a repeat is answered from the first outcome, never charged twice. The key's scope is
    /// the payment itself: the endpoint is public.
    func submitCard(_ request: HTTPRequest, transactionID: String) throws -> HTTPResponse {
        try idempotency.respond(
            to: request, scope: "card:\(transactionID)",
            run: { _ in try processCard(request, transactionID: transactionID) },
            resume: { _, _ in try processCard(request, transactionID: transactionID) }
        )
    }

    /// What a card submission carries, as form fields or JSON members.
    static let cardFields = ["cardno", "cvc", "enddate"]

    private func processCard(_ request: HTTPRequest, transactionID: String) throws -> HTTPResponse {
        let isForm = request.mediaType == "application/x-www-form-urlencoded"
        let fields: [String: String]
        if isForm {
            if let field = FormEncoding.firstInvalidField(request.body) {
                throw Problem.invalidField(field, "\(field) has a malformed percent escape or is not valid UTF-8.")
            }
            let pairs = FormEncoding.decode(request.body)
            if let unknown = pairs.first(where: { !Self.cardFields.contains($0.name) }) {
                throw Problem.unknownField(unknown.name, allowed: Self.cardFields)
            }
            fields = Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        } else {
            // Wrong types count as invalid card details, not as a malformed request.
            fields = (try JSONBody.object(request, allowing: Self.cardFields)).reduce(into: [:]) { result, member in
                if let text = member.1.stringValue { result[member.0] = text }
            }
        }
        // The hosted form accepts the number as people type it: "4242 4242 4242 4242".
        let number = isForm ? fields["cardno"].map { $0.filter { $0 != " " && $0 != "-" } } : fields["cardno"]
        switch try service.submitCard(transactionID: transactionID, number: number, cvc: fields["cvc"], expiry: fields["enddate"]) {
        case .notFound:
            return isForm ? cardPage.missing() : Self.message(Self.notFound, status: .notFound)
        case .notAwaitingCard(let payment, let raced):
            // A second tap while the first is with the provider lands on the page that follows
            // the payment to its outcome, never on a dead end.
            if isForm { return Self.followPage(payment) }
            return Self.message(
                raced ? "Payment is not awaiting card details; it is already being processed."
                      : "Payment is not awaiting card details; its state is \(payment.state.rawValue).",
                status: .conflict
            )
        case .invalidCard(let payment, let problems):
            return isForm
                ? cardPage.form(payment, entered: CardPage.Entered(number: fields["cardno"] ?? "", expiry: fields["enddate"] ?? ""), problems: problems)
                : .json(.object([("url", .string(payment.returnURL)), ("error", .string(Self.invalidCard))]))
        case .processed(let payment, let state):
            guard isForm else { return .json(.object([("url", .string(payment.returnURL))])) }
            // Approved: straight back to the shop, which learns the outcome from the link.
            // Anything else: our page says what happened first (Post/Redirect/Get).
            return state == .ok
                ? .redirect(to: CardPage.returnLink(payment, outcome: .approved), status: .seeOther)
                : Self.followPage(payment)
        }
    }

    /// The hosted page: the form while the payment waits for a card, then its progress and
    /// outcome.
    func cardPage(transactionID: String) throws -> HTTPResponse {
        guard let payment = try service.payment(transactionID: transactionID) else { return cardPage.missing() }
        guard payment.state == .initial else { return cardPage.outcome(payment) }
        return cardPage.form(payment)
    }

    /// "Cancel and go back" on the hosted page: the payment is recorded as cancelled and the
    /// shopper goes back to `returnUrl` with `status=cancelled`. A payment already submitted
    /// is not changed; the shopper sees its progress instead.
    func cancel(_ request: HTTPRequest, transactionID: String) throws -> HTTPResponse {
        // The page's form sends no fields; anything sent is refused, as on every route.
        if request.mediaType == "application/x-www-form-urlencoded" {
            if let field = FormEncoding.decode(request.body).first { throw Problem.unknownField(field.name, allowed: []) }
        } else if !request.body.isEmpty {
            _ = try JSONBody.object(request, allowing: [])
        }
        switch try service.cancel(transactionID: transactionID) {
        case .notFound: return cardPage.missing()
        case .cancelled(let payment): return .redirect(to: CardPage.returnLink(payment, outcome: .cancelled), status: .seeOther)
        case .notAwaitingCard(let payment): return Self.followPage(payment)
        }
    }

    /// A 303 to the payment's hosted page, which shows its progress and outcome.
    private static func followPage(_ payment: Payment) -> HTTPResponse {
        .redirect(to: CardPage.path(payment, "pay"), status: .seeOther)
    }
}
