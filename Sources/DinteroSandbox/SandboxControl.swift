import Foundation
import HTTPKit
import ServiceSupport

/// Test controls under `/__sandbox/` (the sandbox listens on loopback only).
struct SandboxControl {
    let state: SandboxState
    let callbacks: CallbackDispatcher

    func register(on router: inout RouteGroup) {
        // Capture, refund and void answer 202 and complete after delay_ms (asynchronous, as
        // Dintero may), or at once: {"asynchronous": true, "delay_ms": 300}.
        router.on(.post, "/__sandbox/operation-mode") { request, _ in
            let body = try JSONValue.parse(request.body)
            state.operationMode = .init(
                asynchronous: body["asynchronous"] == .bool(true),
                delayMilliseconds: Int(body["delay_ms"]?.integerValue ?? 300)
            )
            return .json(.object([("ok", .bool(true))]))
        }
        // A transaction as Dintero keeps it (events included), without a token.
        router.on(.get, "/__sandbox/transactions/:id") { _, parameters in
            guard let transaction = state.transaction(try parameters.require("id")) else {
                return SandboxAPI.error(404, "not_found", "Transaction not found")
            }
            return .json(transaction.json)
        }
        // A refund made in Dintero's back office (not through the service): {"amount": 100}.
        router.on(.post, "/__sandbox/transactions/:id/back-office-refund") { request, parameters in
            let id = try parameters.require("id")
            let body = try JSONValue.parse(request.body)
            switch state.operate("refund", transactionID: id, amount: body["amount"]?.integerValue, reference: "back-office") {
            case .failure(let refusal):
                return SandboxAPI.error(HTTPStatus(refusal.status), "refused", refusal.message)
            case .success(let transaction):
                SandboxAPI.reportEvent("REFUND", transaction, state: state, callbacks: callbacks)
                return .json(transaction.json)
            }
        }
        // Make the next `count` calls of an endpoint (token, sessions, transactions) fail or
        // be slow: {"endpoint":"sessions","status":503,"delay_ms":0,"count":1,"body":"..."}.
        // "after_effect": true makes the call take effect first and loses its answer (with
        // "hold" and no status: takes effect at once, and only its answer waits);
        // "hold": true keeps each call waiting until POST /__sandbox/release; "skip": n lets the
        // next n calls through first.
        router.on(.post, "/__sandbox/faults") { request, _ in
            let body = try JSONValue.parse(request.body)
            let endpoints = ["token", "sessions", "transactions", "provider", "capture", "refund", "void"]
            guard let endpoint = body["endpoint"]?.stringValue, endpoints.contains(endpoint) else {
                throw Problem.invalidField("endpoint", "endpoint must be one of \(endpoints.joined(separator: ", "))")
            }
            state.setFault(SandboxState.Fault(
                status: Int(body["status"]?.integerValue ?? 0),
                delayMilliseconds: Int(body["delay_ms"]?.integerValue ?? 0),
                body: body["body"]?.stringValue ?? #"{"error":{"code":"injected","message":"injected fault"}}"#,
                remaining: Int(body["count"]?.integerValue ?? 1),
                afterEffect: body["after_effect"] == .bool(true),
                hold: body["hold"] == .bool(true),
                skip: Int(body["skip"]?.integerValue ?? 0)
            ), for: endpoint)
            return .json(.object([("ok", .bool(true))]))
        }
        // Invalidate every issued access token, as if they had expired.
        router.on(.post, "/__sandbox/expire-tokens") { _, _ in
            state.expireTokens()
            return .json(.object([("ok", .bool(true))]))
        }
        // Create a transaction directly (for forged-redirect tests).
        router.on(.post, "/__sandbox/transactions") { request, _ in
            let body = try JSONValue.parse(request.body)
            guard let amount = body["amount"]?.integerValue, let currency = body["currency"]?.stringValue,
                  let reference = body["merchant_reference"]?.stringValue else {
                throw Problem.invalidField("body", "amount, currency and merchant_reference are required")
            }
            let status = body["status"]?.stringValue ?? "AUTHORIZED"
            let now = Date().epochMilliseconds
            let transaction = SandboxState.Transaction(
                id: "T00000000." + SandboxState.randomID(22),
                sessionID: body["session_id"]?.stringValue,
                merchantReference: reference,
                amount: amount,
                currency: currency,
                status: status,
                createdAt: now,
                events: SandboxState.initialEvents(status: status, amount: amount, at: now)
            )
            state.add(transaction)
            return .json(transaction.json)
        }
        // Answers the calls a "hold" fault keeps waiting: {"endpoint":"sessions"}, or {} for all.
        router.on(.post, "/__sandbox/release") { request, _ in
            let body = request.body.isEmpty ? JSONValue.object([]) : try JSONValue.parse(request.body)
            return .json(.object([("released", .int(Int64(state.release(body["endpoint"]?.stringValue))))]))
        }
        router.on(.get, "/__sandbox/stats") { _, _ in
            let counters = state.counters
            return .json(.object([
                ("tokens_issued", .int(counters.tokensIssued)),
                ("callback_attempts", .int(counters.callbackAttempts)),
                ("callbacks_delivered", .int(counters.callbacksDelivered)),
                ("callbacks_refused_insecure", .int(counters.callbacksRefusedInsecure)),
                ("provider_calls", .int(counters.providerCalls)),
                ("held", .object(state.heldCounts.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ]))
        }
    }
}
