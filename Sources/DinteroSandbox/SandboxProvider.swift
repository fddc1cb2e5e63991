import Foundation
import HTTPKit
import ServiceSupport

/// A card payment provider for the /payments broker, under `/provider`. The outcome is chosen
/// by well-known test card numbers; any other valid number is approved. Card data is neither
/// stored nor logged here either.
struct SandboxProvider {
    let state: SandboxState

    /// Test cards and what they do (documented in docs/api.md).
    static let testCards: [String: (status: Int, outcome: String, reason: String?)] = [
        "4242424242424242": (200, "approved", nil),
        "4000000000000002": (200, "declined", "card_declined"),
        "4000000000009995": (200, "declined", "insufficient_funds"),
        "4000000000000119": (500, "error", "processing_error"),
        "4000000000000259": (0, "slow", nil),
    ]

    func register(on router: inout RouteGroup) {
        router.on(.post, "/provider/v1/payments") { request, _ in
            state.count { $0.providerCalls += 1 }
            return state.respond(faultsFor: "provider") { charge(request) }
        }
    }

    private func charge(_ request: HTTPRequest) -> HTTPResponse {
        guard let body = try? JSONValue.parse(request.body),
              let number = body["card"]?["number"]?.stringValue, body["card"]?["cvc"]?.stringValue != nil,
              let amount = body["amount"]?.integerValue, amount > 0 else {
            return .json(.object([("error", .string("card, cvc and amount are required"))]), status: 400)
        }
        let paymentID = "pay_" + SandboxState.randomID(20)
        let behaviour = Self.testCards[number] ?? (200, "approved", nil)
        switch behaviour.outcome {
        case "slow":
            usleep(30_000_000)
            return .json(.object([("paymentId", .string(paymentID)), ("status", .string("approved"))]))
        case "error":
            return .json(.object([("error", .string(behaviour.reason ?? "error"))]), status: HTTPStatus(behaviour.status))
        default:
            var members: [(String, JSONValue)] = [("paymentId", .string(paymentID)), ("status", .string(behaviour.outcome))]
            if let reason = behaviour.reason { members.append(("reason", .string(reason))) }
            return .json(.object(members))
        }
    }
}
