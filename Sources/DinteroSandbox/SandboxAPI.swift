import Foundation
import HTTPKit
import ServiceSupport

/// The Dintero endpoints the service uses, with Dintero's shapes and status codes.
struct SandboxAPI {
    let configuration: SandboxConfiguration
    let state: SandboxState
    let callbacks: CallbackDispatcher
    let log: Logger

    func register(on router: inout RouteGroup) {
        router.on(.post, "/v1/accounts/:aid/auth/token") { request, parameters in
            try state.respond(faultsFor: "token") { try token(request, accountID: try parameters.require("aid")) }
        }
        router.on(.post, "/v1/sessions-profile") { request, _ in
            try state.respond(faultsFor: "sessions") { try createSession(request) }
        }
        router.on(.get, "/v1/sessions/:id") { request, parameters in
            try state.respond(faultsFor: "sessions") { try session(request, id: try parameters.require("id")) }
        }
        router.on(.get, "/v1/transactions/:id") { request, parameters in
            try state.respond(faultsFor: "transactions") { try transaction(request, id: try parameters.require("id")) }
        }
        router.on(.get, "/v1/view/:sid") { _, parameters in paymentPage(sessionID: try parameters.require("sid")) }
        router.on(.post, "/v1/view/:sid/pay") { request, parameters in pay(request, sessionID: try parameters.require("sid")) }
        router.on(.post, "/v1/view/:sid/cancel") { _, parameters in cancel(sessionID: try parameters.require("sid")) }
        for kind in ["capture", "refund", "void"] {
            router.on(.post, "/v1/transactions/:id/\(kind)") { request, parameters in
                try state.respond(faultsFor: kind) { try operation(kind, request, transactionID: try parameters.require("id")) }
            }
        }
        router.on(.post, "/v1/sessions/:id/cancel") { request, parameters in
            try state.respond(faultsFor: "sessions") { try cancelSession(request, id: try parameters.require("id")) }
        }
        SandboxControl(state: state, callbacks: callbacks).register(on: &router)
        SandboxProvider(state: state).register(on: &router)
    }

    /// `body`'s answer, with a thrown ``Problem`` as Dintero's error document (as the router
    /// renders it for an answer given at once).
    static func answer(_ body: () throws -> HTTPResponse) -> HTTPResponse {
        do {
            return try body()
        } catch let problem as Problem {
            return DinteroErrorRenderer().render(problem, for: HTTPRequest(method: "GET", path: "/"))
        } catch {
            return Self.error(500, "internal", "\(error)")
        }
    }

    /// Dintero's error document.
    static func error(_ status: HTTPStatus, _ code: String, _ message: String) -> HTTPResponse {
        .json(.object([("error", .object([("code", .string(code)), ("message", .string(message))]))]), status: status)
    }

    // MARK: - Auth

    private func token(_ request: HTTPRequest, accountID: String) throws -> HTTPResponse {
        guard accountID == configuration.accountID else {
            // The spec lists 400, 401, 403, 429 and 500 for the token request: an account the
            // credentials do not belong to is forbidden.
            return Self.error(403, "forbidden", "These credentials do not belong to account \(accountID)")
        }
        guard let authorization = request.header("authorization"), authorization.hasPrefix("Basic "),
              let decoded = Data(base64Encoded: String(authorization.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
              decoded == "\(configuration.clientID):\(configuration.clientSecret)" else {
            return Self.error(401, "unauthorized", "Invalid client credentials")
        }
        guard request.mediaType == "application/json", let body = try? JSONValue.parse(request.body) else {
            return Self.error(400, "bad_request", "Body must be JSON")
        }
        guard body["grant_type"]?.stringValue == "client_credentials" else {
            return Self.error(400, "bad_request", "grant_type must be client_credentials")
        }
        guard let audience = body["audience"]?.stringValue, audience.hasSuffix("/v1/accounts/\(configuration.accountID)") else {
            return Self.error(400, "bad_request", "audience must be the account URL")
        }
        let token = state.issueToken(lifetime: TimeInterval(configuration.tokenLifetime))
        return .json(.object([
            ("access_token", .string(token)),
            ("token_type", .string("Bearer")),
            ("expires_in", .int(configuration.tokenLifetime)),
        ]))
    }

    private func authorized(_ request: HTTPRequest) -> Bool {
        guard let header = request.header("authorization"), header.hasPrefix("Bearer ") else { return false }
        return state.isValid(token: String(header.dropFirst(7)))
    }

    // MARK: - Sessions and transactions

    private func createSession(_ request: HTTPRequest) throws -> HTTPResponse {
        guard authorized(request) else { return Self.error(401, "unauthorized", "Missing or expired access token") }
        guard request.mediaType == "application/json", let body = try? JSONValue.parse(request.body) else {
            return Self.error(400, "bad_request", "Body must be JSON")
        }
        guard let returnURL = body["url"]?["return_url"]?.stringValue, AbsoluteHTTPURL.isValid(returnURL) else {
            return Self.error(400, "bad_request", "url.return_url is required")
        }
        let callbackURL = body["url"]?["callback_url"]?.stringValue
        if let callbackURL, !AbsoluteHTTPURL.isValid(callbackURL) {
            return Self.error(400, "bad_request", "url.callback_url must be an absolute URL")
        }
        guard let order = body["order"], let amount = order["amount"]?.integerValue, amount >= 0,
              let currency = order["currency"]?.stringValue, currency.count == 3,
              let reference = order["merchant_reference"]?.stringValue, !reference.isEmpty else {
            return Self.error(400, "bad_request", "order.amount, order.currency and order.merchant_reference are required")
        }
        guard body["profile_id"]?.stringValue?.isEmpty == false else {
            return Self.error(400, "bad_request", "profile_id is required")
        }
        let expiresAt = body["expires_at"]?.stringValue
        if let expiresAt, Timestamp.parse(expiresAt) == nil {
            return Self.error(400, "bad_request", "expires_at must be an ISO 8601 date-time")
        }
        let id = "\(configuration.accountID).\(SandboxState.randomID(22))"
        state.add(SandboxState.Session(
            id: id, amount: amount, currency: currency, merchantReference: reference,
            returnURL: returnURL, callbackURL: callbackURL, expiresAt: expiresAt
        ))
        return .json(.object([("id", .string(id)), ("url", .string("\(configuration.publicURL)/v1/view/\(id)"))]))
    }

    private func session(_ request: HTTPRequest, id: String) throws -> HTTPResponse {
        guard authorized(request) else { return Self.error(401, "unauthorized", "Missing or expired access token") }
        guard let session = state.session(id) else { return Self.error(404, "not_found", "Session not found") }
        return .json(session.json)
    }

    private func cancelSession(_ request: HTTPRequest, id: String) throws -> HTTPResponse {
        guard authorized(request) else { return Self.error(401, "unauthorized", "Missing or expired access token") }
        guard state.session(id) != nil else { return Self.error(404, "not_found", "Session not found") }
        guard let session = state.cancel(sessionID: id, voidingPayment: true) else {
            return Self.error(400, "bad_request", "The session is cancelled already, or its payment went further than an authorization")
        }
        return .json(session.json)
    }

    /// Capture, refund or void with Dintero's rules; 200 with the transaction, or 202 with an
    /// `event-request-id` when the sandbox is in asynchronous mode (completed after a delay).
    private func operation(_ kind: String, _ request: HTTPRequest, transactionID: String) throws -> HTTPResponse {
        guard authorized(request) else { return Self.error(401, "unauthorized", "Missing or expired access token") }
        let body = request.body.isEmpty ? JSONValue.object([]) : (try? JSONValue.parse(request.body)) ?? .null
        guard body.objectMembers != nil else { return Self.error(400, "bad_request", "Body must be a JSON object") }
        let amount = body["amount"]?.integerValue
        if kind != "void", amount == nil { return Self.error(400, "bad_request", "amount is required") }
        let reference = body["\(kind)_reference"]?.stringValue
        guard let current = state.transaction(transactionID) else { return Self.error(404, "not_found", "Transaction not found") }
        let mode = state.operationMode
        if mode.asynchronous {
            let requestID = UUID().uuidString.lowercased()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(max(0, mode.delayMilliseconds))) { [state, callbacks] in
                if case .success(let transaction) = state.operate(kind, transactionID: transactionID, amount: amount, reference: reference, correlationID: requestID) {
                    Self.reportEvent(kind.uppercased(), transaction, state: state, callbacks: callbacks)
                }
            }
            // The spec's TransactionOperationAccepted: the transaction as it stands when accepted.
            return HTTPResponse(status: .accepted, headers: [("Content-Type", "application/json"), ("event-request-id", requestID)], body: current.json.serialized)
        }
        switch state.operate(kind, transactionID: transactionID, amount: amount, reference: reference) {
        case .failure(let refusal):
            return Self.error(HTTPStatus(refusal.status), "bad_request", refusal.message)
        case .success(let transaction):
            // Dintero calls back when "a payment event has been applied to the transaction",
            // whoever asked for it: the merchant's own operations too.
            Self.reportEvent(kind.uppercased(), transaction, state: state, callbacks: callbacks)
            return .json(transaction.json)
        }
    }

    /// Tells the merchant about an operation when its callback URL asks (`report_event`).
    static func reportEvent(_ event: String, _ transaction: SandboxState.Transaction, state: SandboxState, callbacks: CallbackDispatcher) {
        guard let sessionID = transaction.sessionID, let session = state.session(sessionID), let callbackURL = session.callbackURL else { return }
        callbacks.deliver(to: callbackURL, .event(event), parameters: [
            ("transaction_id", transaction.id), ("session_id", session.id), ("merchant_reference", session.merchantReference),
        ], body: transaction.json)
    }

    private func transaction(_ request: HTTPRequest, id: String) throws -> HTTPResponse {
        guard authorized(request) else { return Self.error(401, "unauthorized", "Missing or expired access token") }
        guard let transaction = state.transaction(id) else { return Self.error(404, "not_found", "Transaction not found") }
        return .json(transaction.json)
    }
}
