import HTTPKit
import PaymentsDomain

/// The `/payments` broker API (pay-broker contract): decodes requests, calls
/// ``CardPaymentService``, encodes the answers. Errors are `{"message": ...}` documents, with
/// `field` naming the request field at fault.
public struct PaymentsController {
    let service: CardPaymentService
    let store: PaymentStore
    let configuration: PaymentsConfiguration
    let keys: APIKeys
    let idempotency: IdempotentExecution
    let cardPage: CardPage

    /// Creates the controller for one thread.
    public init(
        service: CardPaymentService, store: PaymentStore, configuration: PaymentsConfiguration, keys: APIKeys,
        idempotency: IdempotencyService, branding: ShopBranding = ShopBranding()
    ) {
        self.service = service
        self.store = store
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
            group.on("POST", "") { request, _ in try create(request, scope: try keys.authenticate(request)) }
            group.on("GET", "") { request, _ in
                _ = try keys.authenticate(request)
                return try list(request)
            }
            group.on("GET", "openapi.json") { _, _ in OpenAPIDocument.response }
            group.on("GET", ":txid") { request, parameters in
                _ = try keys.authenticate(request)
                return try outcome(try parameters.require("txid"))
            }
            group.on("POST", ":txid/card", callsOut: true) { request, parameters in try submitCard(request, transactionID: try parameters.require("txid")) }
            group.on("GET", ":txid/pay") { _, parameters in try cardPage(transactionID: try parameters.require("txid")) }
            group.on("POST", ":txid/cancel") { request, parameters in try cancel(request, transactionID: try parameters.require("txid")) }
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
        guard let payment = try store.payment(transactionID: transactionID) else { return Self.message(Self.notFound, status: .notFound) }
        switch payment.state {
        case .ok, .error: return .json(.object([("paymentId", payment.paymentID.map(JSONValue.string) ?? .null)]))
        case .initial, .card: return Self.message("Forbidden request.", status: .forbidden)
        }
    }

    func list(_ request: HTTPRequest) throws -> HTTPResponse {
        let query = try PaymentListQuery.decode(request)
        // One extra row tells whether there is a next page.
        var page = query
        page.limit += 1
        let payments = try store.payments(page)
        let shown = payments.prefix(query.limit)
        // About 200 bytes a payment: one allocation for the whole page.
        var response = HTTPResponse.json(capacity: 16 + 224 * shown.count) { json in
            json.array { json in for payment in shown { payment.writeListElement(to: &json) } }
        }
        if payments.count > query.limit, let last = shown.last {
            ListParameters.nextPage(request, path: "/payments", cursor: ListCursor(after: last), into: &response.headers)
        }
        return response
    }
}
