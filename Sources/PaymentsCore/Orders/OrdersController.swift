import Foundation

/// The `/orders` API.
public struct OrdersController {
    let store: OrderStore
    let gateway: PaymentGateway
    let rules: CreateOrderInput.Rules
    let publicBaseURL: String
    let clock: WallClock
    let log: Logger

    /// Creates the controller for one thread.
    public init(store: OrderStore, gateway: PaymentGateway, rules: CreateOrderInput.Rules, publicBaseURL: String, clock: WallClock, log: Logger) {
        self.store = store
        self.gateway = gateway
        self.rules = rules
        self.publicBaseURL = publicBaseURL
        self.clock = clock
        self.log = log
    }

    /// Adds the routes to `router`.
    public func register(on router: inout Router) {
        router.on("POST", "/orders") { request, _ in try create(request) }
        router.on("GET", "/orders") { request, _ in try list(request) }
        router.on("GET", "/orders/:id") { _, parameters in try show(parameters["id"]) }
        for path in ["/orders/:id/redirect", "/orders/:id/payment-redirect"] {
            router.on("GET", path) { request, parameters in try paymentReturn(request, orderID: parameters["id"], source: .redirect) }
        }
        for method in ["GET", "POST"] {
            router.on(method, "/orders/:id/callback") { request, parameters in
                try paymentReturn(request, orderID: parameters["id"], source: .callback)
            }
        }
    }

    // MARK: - Create, list, show

    func create(_ request: HTTPRequest) throws -> HTTPResponse {
        let input = try CreateOrderInput.parse(request, rules: rules)
        let now = clock.now().epochMilliseconds
        let id = UUID().uuidString.lowercased()
        let order = Order(id: id, createdAt: now, updatedAt: now, amount: input.amount, currency: input.currency, receipt: input.receipt, status: .created)
        try store.insert(order)

        let session: CheckoutSession
        do {
            session = try gateway.createSession(SessionRequest(
                amount: order.amount,
                currency: order.currency,
                merchantReference: id,
                returnURL: "\(publicBaseURL)/orders/\(id)/redirect",
                callbackURL: "\(publicBaseURL)/orders/\(id)/callback"
            ))
        } catch {
            log.warning("order \(id): creating the Dintero session failed: \(error)")
            _ = try store.transition(OrderStatusChange(
                orderID: id, status: .sessionFailed, verified: false, source: "create",
                detail: error.description, at: clock.now().epochMilliseconds
            ))
            throw Problem(
                status: 502,
                title: "Payment provider unavailable",
                detail: "The payment session could not be created: \(error.description). The order was not opened for payment; retry with a new request.",
                extensions: [("order_id", .string(id))]
            )
        }
        let result = try store.transition(OrderStatusChange(
            orderID: id, status: .pending, verified: false, session: session, source: "create",
            at: clock.now().epochMilliseconds
        ))
        guard case .changed(let stored) = result else {
            throw Problem(status: 500, title: "Internal Server Error", detail: "The order could not be updated.")
        }
        return .json(stored.json(includeLinks: true))
    }

    func list(_ request: HTTPRequest) throws -> HTTPResponse {
        var limit = 100
        if let text = request.queryValue("limit") {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw Problem.invalidField("limit", "limit must be an integer from 1 to 1000.")
            }
            limit = value
        }
        let orders = try store.orders(limit: limit)
        return .json(.object([("orders", .array(orders.map { $0.json(includeLinks: false) }))]))
    }

    func show(_ id: String) throws -> HTTPResponse {
        guard let order = try store.order(id: id) else { throw Problem.notFound("No order with id \(id).") }
        return .json(order.json(includeLinks: true))
    }
}
