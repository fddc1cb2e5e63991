import HTTPKit
import PaymentsDomain
import ServiceSupport

/// The `/orders` API: decodes requests, calls ``OrderService``, encodes the answers. Errors
/// are RFC 9457 problem documents.
public struct OrdersController {
    let service: OrderService
    let store: OrderStore
    let rules: CreateOrderInput.Rules

    /// Creates the controller for one thread.
    public init(service: OrderService, store: OrderStore, rules: CreateOrderInput.Rules) {
        self.service = service
        self.store = store
        self.rules = rules
    }

    /// Adds the `/orders` route group to `router`.
    public func register(on router: inout Router) {
        router.group("/orders", errors: ProblemRenderer()) { group in
            group.on("POST", "") { request, _ in try create(request) }
            group.on("GET", "") { request, _ in try list(request) }
            group.on("GET", ":id") { _, parameters in try show(try parameters.require("id")) }
            for path in [":id/redirect", ":id/payment-redirect"] {
                group.on("GET", path) { request, parameters in
                    try paymentReturn(request, orderID: try parameters.require("id"), source: .redirect)
                }
            }
            for method in ["GET", "POST"] {
                group.on(method, ":id/callback") { request, parameters in
                    try paymentReturn(request, orderID: try parameters.require("id"), source: .callback)
                }
            }
        }
    }

    func create(_ request: HTTPRequest) throws -> HTTPResponse {
        let input = try CreateOrderInput.decode(request, rules: rules)
        do {
            return .json(try service.create(input).json(includeLinks: true))
        } catch OrderService.Failure.sessionFailed(let orderID, let reason) {
            throw Problem(
                status: .badGateway,
                title: "Payment provider unavailable",
                detail: "The payment session could not be created: \(reason.description). The order was not opened for payment; retry with a new request.",
                extensions: [("order_id", .string(orderID))]
            )
        }
    }

    func list(_ request: HTTPRequest) throws -> HTTPResponse {
        let limit = try request.queryValue("limit").map(ListLimit.parse) ?? ListLimit.default
        let orders = try store.orders(limit: limit)
        return .json(.object([("orders", .array(orders.map { $0.json(includeLinks: false) }))]))
    }

    func show(_ id: String) throws -> HTTPResponse {
        guard let order = try store.order(id: id) else { throw Problem.notFound("No order with id \(id).") }
        return .json(order.json(includeLinks: true))
    }
}
