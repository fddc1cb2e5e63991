import HTTPKit
import PaymentsDomain

/// The `/payments` broker API (pay-broker contract): decodes requests, calls
/// ``CardPaymentService``, encodes the answers. Errors are `{"message": ...}` documents, with
/// `field` naming the request field at fault.
public struct PaymentsController {
    let service: CardPaymentService
    let configuration: PaymentsConfiguration
    let keys: APIKeys
    let idempotency: IdempotentExecution
    let cardPage: CardPage

    /// Creates the controller for one thread.
    public init(
        service: CardPaymentService, configuration: PaymentsConfiguration, keys: APIKeys,
        idempotency: IdempotencyService, branding: ShopBranding = ShopBranding()
    ) {
        self.service = service
        self.configuration = configuration
        self.keys = keys
        self.idempotency = IdempotentExecution(service: idempotency, errors: PaymentsErrorRenderer())
        cardPage = CardPage(configuration: configuration, branding: branding)
    }

    static let notFound = "Payment details not found."
    static let invalidCard = "Invalid card details"

    /// Adds the `/payments` route group to `router`.
    public func register(on router: inout Router) {
        router.group("/payments", errors: PaymentsErrorRenderer()) { group in
            group.on(.get, "openapi.json") { _, _ in OpenAPIDocument.response }
            // The calling service's endpoints need an API key; the shopper's hosted page does not.
            group.authenticated(by: keys.authenticate) { merchant in
                merchant.on(.post, "") { request, _, scope in try create(request, scope: scope) }
                merchant.on(.get, "") { request, _, _ in try list(request) }
                merchant.on(.get, ":txid") { _, parameters, _ in try outcome(try parameters.require("txid")) }
            }
            group.on(.post, ":txid/card", callsOut: true) { request, parameters in try submitCard(request, transactionID: try parameters.require("txid")) }
            group.on(.get, ":txid/pay") { _, parameters in try cardPage(transactionID: try parameters.require("txid")) }
            group.on(.post, ":txid/cancel") { request, parameters in try cancel(request, transactionID: try parameters.require("txid")) }
        }
    }

    /// A contract error body.
    static func message(_ text: String, status: HTTPStatus, field: String? = nil) -> HTTPResponse {
        var members: [(String, JSONValue)] = [("message", .string(text))]
        if let field { members.append(("field", .string(field))) }
        return .json(.object(members), status: status)
    }

    // MARK: - Merchant endpoints

    func create(_ request: HTTPRequest, scope: String) throws -> HTTPResponse {
        let input = try CreatePaymentInput.decode(request)
        return try idempotency.respond(
            to: request, scope: scope,
            run: { link in created(try service.create(input, linking: link).transactionID) },
            resume: { _, transactionID in created(transactionID) }
        )
    }

    private func created(_ transactionID: String) -> HTTPResponse {
        .json(.object([
            ("transactionId", .string(transactionID)),
            ("url", .string(configuration.payURL(transactionID: transactionID))),
        ]))
    }

    func outcome(_ transactionID: String) throws -> HTTPResponse {
        guard let payment = try service.payment(transactionID: transactionID) else { return Self.message(Self.notFound, status: .notFound) }
        switch payment.state {
        case .ok, .error: return .json(.object([("paymentId", payment.paymentID.map(JSONValue.string) ?? .null)]))
        case .initial, .card: return Self.message("Forbidden request.", status: .forbidden)
        }
    }

    func list(_ request: HTTPRequest) throws -> HTTPResponse {
        let page = try service.payments(try PaymentListQuery.decode(request))
        // About 200 bytes a payment: one allocation for the whole page.
        return ListParameters.response(page, for: request, path: "/payments", bytesPerItem: 224) { json in
            json.array { json in for payment in page.items { payment.writeListElement(to: &json) } }
        }
    }
}
