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
            if isForm { return cardPage.closed(payment) }
            return Self.message(
                raced ? "Payment is not awaiting card details; it is already being processed."
                      : "Payment is not awaiting card details; its state is \(payment.state.rawValue).",
                status: .conflict
            )
        case .invalidCard(let payment, let problems):
            return isForm
                ? cardPage.form(payment, entered: CardPage.Entered(number: fields["cardno"] ?? "", expiry: fields["enddate"] ?? ""), problems: problems)
                : .json(.object([("url", .string(payment.returnURL)), ("error", .string(Self.invalidCard))]))
        case .processed(let payment, _):
            return isForm ? .redirect(to: payment.returnURL, status: .seeOther) : .json(.object([("url", .string(payment.returnURL))]))
        }
    }

    func cardPage(transactionID: String) throws -> HTTPResponse {
        guard let payment = try store.payment(transactionID: transactionID) else { return cardPage.missing() }
        guard payment.state == .initial else { return cardPage.closed(payment) }
        return cardPage.form(payment)
    }
}
