import HTTPKit
import PaymentsDomain
import ServiceSupport

/// The `/orders` API: decodes requests, calls ``OrderService``, encodes the answers. Errors
/// are RFC 9457 problem documents.
public struct OrdersController {
    let service: OrderService
    let rules: CreateOrderInput.Rules
    let keys: APIKeys
    let idempotency: IdempotentExecution
    let branding: ShopBranding
    /// Checks callbacks' `Dintero-Signature` when a secret is configured.
    let callbackSignature: CallbackSignature?
    /// The host Dintero signs callbacks for (the public base URL's).
    let publicHost: String
    let clock: WallClock

    /// Creates the controller for one thread.
    public init(
        service: OrderService, rules: CreateOrderInput.Rules, keys: APIKeys,
        idempotency: IdempotencyService, branding: ShopBranding = ShopBranding(),
        callbackSignature: CallbackSignature? = nil, publicBaseURL: String = "http://localhost", clock: WallClock = SystemClock()
    ) {
        self.service = service
        self.rules = rules
        self.keys = keys
        self.idempotency = IdempotentExecution(service: idempotency, errors: ProblemRenderer())
        self.branding = branding
        self.callbackSignature = callbackSignature
        self.publicHost = AbsoluteHTTPURL.origin(of: publicBaseURL).map { String($0.split(separator: "/").last ?? "") } ?? ""
        self.clock = clock
    }

    /// Adds the `/orders` route group to `router`.
    public func register(on router: inout Router) {
        router.group("/orders", errors: ProblemRenderer()) { group in
            group.on(.get, "openapi.json") { _, _ in OpenAPIDocument.response }
            // Merchant endpoints need an API key; the shopper's return and Dintero's callback
            // below are public (they prove nothing by themselves and are verified with Dintero).
            group.authenticated(by: keys.authenticate) { merchant in
                merchant.on(.post, "", callsOut: true) { request, _, scope in try create(request, scope: scope) }
                merchant.on(.get, "") { request, _, _ in try list(request) }
                merchant.on(.get, ":id") { _, parameters, _ in try show(try parameters.require("id")) }
                registerOperations(on: &merchant)
            }
            for path in [":id/redirect", ":id/payment-redirect"] {
                group.on(.get, path, callsOut: true) { request, parameters in
                    try paymentReturn(request, orderID: try parameters.require("id"), source: .redirect)
                }
            }
            for method in [HTTPMethod.get, .post] {
                group.on(method, ":id/callback", callsOut: true) { request, parameters in
                    try verifySignature(request)
                    return try paymentReturn(request, orderID: try parameters.require("id"), source: .callback)
                }
            }
        }
    }

    func create(_ request: HTTPRequest, scope: String) throws -> HTTPResponse {
        let input = try CreateOrderInput.decode(request, rules: rules)
        return try idempotency.respond(
            to: request, scope: scope,
            run: { link in try Self.answer { try service.create(input, linking: link) } },
            resume: { _, orderID in try Self.answer { try service.resumeCreate(orderID: orderID) } }
        )
    }

    /// The created order, or the 502 for a session Dintero would not open.
    private static func answer(_ create: () throws -> Order) throws -> HTTPResponse {
        do {
            return try create().response(includeLinks: true)
        } catch OrderService.Failure.sessionFailed(let orderID, .busy(let seconds)) {
            // Shed load at once rather than queue behind a slow Dintero; the order is kept as
            // SESSION_FAILED like any other failed create.
            var problem = Problem(
                status: .serviceUnavailable,
                title: "Payment provider busy",
                detail: "Dintero could not be asked just now (too many payment sessions opening, Dintero failing repeatedly, or asking us to slow down); retry in \(seconds) s with a new request.",
                extensions: [("order_id", .string(orderID))]
            )
            problem.headers.append("Retry-After", String(seconds))
            throw problem
        } catch OrderService.Failure.sessionFailed(let orderID, let reason) {
            throw Problem(
                status: .badGateway,
                title: "Payment provider unavailable",
                detail: "The payment session could not be created: \(reason.summary). The order was not opened for payment; retry with a new request.",
                extensions: [("order_id", .string(orderID))]
            )
        } catch OrderService.Failure.abandonedCreate(let orderID) {
            throw Problem(
                status: .badGateway,
                title: "Payment provider unavailable",
                detail: "The first attempt with this key was interrupted and the order was given up. The order was not opened for payment; retry with a new key.",
                extensions: [("order_id", .string(orderID))]
            )
        }
    }

    func list(_ request: HTTPRequest) throws -> HTTPResponse {
        let page = try service.orders(try OrderListQuery.decode(request))
        // About 230 bytes an order: one allocation for the whole page.
        return ListParameters.response(page, for: request, path: "/orders", bytesPerItem: 256) { json in
            json.object { json in
                json.key("orders")
                json.array { json in for order in page.items { order.write(to: &json, includeLinks: false) } }
            }
        }
    }

    func show(_ id: String) throws -> HTTPResponse {
        guard let (order, operations) = try service.orderWithOperations(id: id) else { throw Problem.notFound("No order with id \(id).") }
        return order.response(includeLinks: true, operations: operations)
    }

    /// With a callback secret configured, a callback must carry a valid `Dintero-Signature`;
    /// anything else is refused with 401 before Dintero is asked (Dintero never retries a 4xx).
    func verifySignature(_ request: HTTPRequest) throws {
        guard let signature = callbackSignature else { return }
        let result = signature.verify(
            request.header("Dintero-Signature"), method: request.method, host: publicHost, path: request.path,
            query: request.query, now: clock.now().epochMilliseconds / 1000
        )
        if case .failure(let failure) = result {
            BusinessCounters.add(BusinessMetric.callbackSignatureFailures)
            throw Problem(status: .unauthorized, title: "Callback signature refused", detail: "\(failure.description.prefix(1).uppercased())\(failure.description.dropFirst()).", field: "Dintero-Signature")
        }
    }
}
