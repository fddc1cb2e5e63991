import Foundation
import HTTPKit
import ServiceSupport

/// Test controls under `/__sandbox/` (the sandbox listens on loopback only).
struct SandboxControl {
    let state: SandboxState

    func register(on router: inout RouteGroup) {
        // Make the next `count` calls of an endpoint (token, sessions, transactions) fail or
        // be slow: {"endpoint":"sessions","status":503,"delay_ms":0,"count":1,"body":"..."}.
        router.on("POST", "/__sandbox/faults") { request, _ in
            let body = try JSONValue.parse(request.body)
            guard let endpoint = body["endpoint"]?.stringValue, ["token", "sessions", "transactions", "provider"].contains(endpoint) else {
                throw Problem.invalidField("endpoint", "endpoint must be token, sessions, transactions or provider")
            }
            state.setFault(SandboxState.Fault(
                status: Int(body["status"]?.integerValue ?? 0),
                delayMilliseconds: Int(body["delay_ms"]?.integerValue ?? 0),
                body: body["body"]?.stringValue ?? #"{"error":{"code":"injected","message":"injected fault"}}"#,
                remaining: Int(body["count"]?.integerValue ?? 1)
            ), for: endpoint)
            return .json(.object([("ok", .bool(true))]))
        }
        // Invalidate every issued access token, as if they had expired.
        router.on("POST", "/__sandbox/expire-tokens") { _, _ in
            state.expireTokens()
            return .json(.object([("ok", .bool(true))]))
        }
        // Create a transaction directly (for forged-redirect tests).
        router.on("POST", "/__sandbox/transactions") { request, _ in
            let body = try JSONValue.parse(request.body)
            guard let amount = body["amount"]?.integerValue, let currency = body["currency"]?.stringValue,
                  let reference = body["merchant_reference"]?.stringValue else {
                throw Problem.invalidField("body", "amount, currency and merchant_reference are required")
            }
            let transaction = SandboxState.Transaction(
                id: "T00000000." + SandboxState.randomID(22),
                sessionID: body["session_id"]?.stringValue,
                merchantReference: reference,
                amount: amount,
                currency: currency,
                status: body["status"]?.stringValue ?? "AUTHORIZED",
                createdAt: Date().epochMilliseconds
            )
            state.add(transaction)
            return .json(transaction.json)
        }
        router.on("GET", "/__sandbox/stats") { _, _ in
            let counters = state.counters
            return .json(.object([
                ("tokens_issued", .int(counters.tokensIssued)),
                ("callback_attempts", .int(counters.callbackAttempts)),
                ("callbacks_delivered", .int(counters.callbacksDelivered)),
                ("provider_calls", .int(counters.providerCalls)),
            ]))
        }
    }
}
