import Foundation

/// The `/payments` broker API (pay-broker contract). Errors are `{"message": ...}` documents,
/// with `field` naming the request field at fault.
public struct PaymentsController {
    let store: PaymentStore
    let provider: PaymentProvider
    let configuration: PaymentsConfiguration
    let clock: WallClock
    let log: Logger

    /// Creates the controller for one thread.
    public init(store: PaymentStore, provider: PaymentProvider, configuration: PaymentsConfiguration, clock: WallClock, log: Logger) {
        self.store = store
        self.provider = provider
        self.configuration = configuration
        self.clock = clock
        self.log = log
    }

    static let notFound = "Payment details not found."
    static let invalidCard = "Invalid card details"

    /// Adds the routes to `router`.
    public func register(on router: inout Router) {
        router.on("POST", "/payments") { request, _ in try contract(request, authorized: true) { try create(request) } }
        router.on("GET", "/payments") { request, _ in try contract(request, authorized: true) { try list(request) } }
        router.on("GET", "/payments/:txid") { request, parameters in
            try contract(request, authorized: true) { try outcome(parameters["txid"]) }
        }
        router.on("POST", "/payments/:txid/card") { request, parameters in
            try contract(request, authorized: false) { try submitCard(request, transactionID: parameters["txid"]) }
        }
        router.on("GET", "/payments/:txid/pay") { _, parameters in try cardPage(transactionID: parameters["txid"]) }
    }

    /// A contract error body.
    static func message(_ text: String, status: Int, field: String? = nil) -> HTTPResponse {
        var members: [(String, JSONValue)] = [("message", .string(text))]
        if let field { members.append(("field", .string(field))) }
        return .json(.object(members), status: status)
    }

    /// Checks the API key where required and renders problems in the contract's shape.
    private func contract(_ request: HTTPRequest, authorized: Bool, _ body: () throws -> HTTPResponse) throws -> HTTPResponse {
        if authorized, let key = configuration.apiKey, !Self.bearerMatches(request.header("authorization"), key) {
            var response = Self.message("Unauthorized.", status: 401)
            response.headers.append(("WWW-Authenticate", "Bearer"))
            return response
        }
        do {
            return try body()
        } catch let problem as Problem {
            return Self.message(problem.detail, status: problem.status, field: problem.field)
        }
    }

    /// Constant-time comparison of `Authorization: Bearer <key>`.
    static func bearerMatches(_ header: String?, _ key: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst(7)), expected = Array(key.utf8)
        var difference = given.count ^ expected.count
        for index in 0..<expected.count {
            difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0))
        }
        return difference == 0
    }

    // MARK: - Merchant endpoints

    func create(_ request: HTTPRequest) throws -> HTTPResponse {
        let input = try CreatePaymentInput.parse(request)
        let now = clock.now().epochMilliseconds
        let payment = Payment(
            transactionID: UUID().uuidString.lowercased(), reference: input.reference, amount: input.amount,
            returnURL: input.returnURL, state: .initial, createdAt: now, updatedAt: now
        )
        try store.insert(payment)
        return .json(.object([
            ("transactionId", .string(payment.transactionID)),
            ("url", .string(configuration.payURL(transactionID: payment.transactionID))),
        ]))
    }

    func outcome(_ transactionID: String) throws -> HTTPResponse {
        guard let payment = try store.payment(transactionID: transactionID) else { return Self.message(Self.notFound, status: 404) }
        switch payment.state {
        case .ok, .error: return .json(.object([("paymentId", payment.paymentID.map(JSONValue.string) ?? .null)]))
        case .initial, .card: return Self.message("Forbidden request.", status: 403)
        }
    }

    func list(_ request: HTTPRequest) throws -> HTTPResponse {
        let query = try PaymentListQuery.parse(request)
        // One extra row tells whether there is a next page.
        var page = query
        page.limit += 1
        let payments = try store.payments(page)
        var response = HTTPResponse.json(.array(payments.prefix(query.limit).map(\.listJSON)))
        if payments.count > query.limit, let last = payments.prefix(query.limit).last {
            let cursor = ListCursor(after: last).description
            response.headers.append(("X-Next-Cursor", cursor))
            var items = request.queryItems.filter { $0.name != "cursor" }.map { ($0.name, $0.value) }
            items.append(("cursor", cursor))
            response.headers.append(("Link", "</payments?\(FormEncoding.encode(items))>; rel=\"next\""))
        }
        return response
    }
}
