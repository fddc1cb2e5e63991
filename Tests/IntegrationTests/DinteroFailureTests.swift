import Foundation
import LocalStack
import HTTPKit
import PaymentsDomain
import ServiceSupport
import TestSupport
import SQLite
import Testing

extension IntegrationSuite {
    /// Every Dintero failure has a defined behaviour: 502 to the client, and no order ever
    /// listed as PENDING without a session link.
    @Suite struct DinteroFailureTests {
        func expectNoPendingWithoutLink(_ shop: Shop) throws {
            let orders = try shop.http.get("\(shop.base)/orders?limit=1000").json["orders"]?.arrayValue ?? []
            for order in orders where order["status"]?.stringValue == "PENDING" {
                let id = try order.string("id")
                let links = try shop.http.get("\(shop.base)/orders/\(id)").json["links"]?.arrayValue
                #expect(links?.isEmpty == false, "PENDING order \(id) without a session link")
            }
        }

        @Test func dintero5xxTimeoutAndBadJSONGive502() throws {
            try StackHarness.withStack(workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "1"]) { stack, shop in
                let url = "\(stack.baseURL)/orders"
                let body = #"{"amount": 1000, "currency": "NOK"}"#
                let faults = [
                    #"{"endpoint":"sessions","status":503,"count":1}"#,
                    #"{"endpoint":"sessions","status":400,"body":"{\"error\":{\"message\":\"bad profile\"}}","count":1}"#,
                    #"{"endpoint":"sessions","status":200,"body":"<html>maintenance</html>","count":1}"#,
                    // Held past the 1-s timeout: only the release, after the answer, lets it go.
                    #"{"endpoint":"sessions","hold":true,"count":1}"#,
                    #"{"endpoint":"token","status":500,"count":1}"#,
                ]
                var failedIDs: [String] = []
                for fault in faults {
                    if fault.contains(#""endpoint":"token""#) {
                        // Force a token call on whichever worker takes the request: a cached token
                        // now gets 401 and must be refreshed, hitting the injected fault.
                        let expired = try shop.http.send("POST", "\(shop.sandbox)/__sandbox/expire-tokens")
                        #expect(expired.status == 200)
                    }
                    try shop.injectFault(fault)
                    let response = try shop.http.postJSON(url, body)
                    // A failed token request means the session call was never sent: 503 + Retry-After.
                    let tokenFault = fault.contains(#""endpoint":"token""#)
                    #expect(response.status == (tokenFault ? 503 : 502), "\(fault): \(response.text)")
                    if tokenFault { #expect(response.header("Retry-After") != nil) }
                    #expect(response.header("Content-Type") == "application/problem+json")
                    if let id = response.json["order_id"]?.stringValue { failedIDs.append(id) }
                    if fault.contains(#""hold":true"#) { #expect(try shop.release() == 1) }
                }
                #expect(failedIDs.count == faults.count)
                for id in failedIDs { #expect(try shop.status(id) == "SESSION_FAILED") }
                try expectNoPendingWithoutLink(shop)
                // Once Dintero recovers, orders go through again.
                #expect(try shop.http.postJSON(url, body).status == 200)
            }
        }

        @Test func dinteroUnreachableGives502() throws {
            let closed = try StackHarness.freePort()
            try StackHarness.withStack(workerEnvironment: [
                "DINTERO_API_URL": "http://127.0.0.1:\(closed)",
                "DINTERO_CHECKOUT_URL": "http://127.0.0.1:\(closed)",
            ]) { stack, shop in
                for _ in 0..<3 {
                    let response = try shop.http.postJSON("\(stack.baseURL)/orders", #"{"amount": 1000, "currency": "NOK"}"#)
                    #expect(response.status == 502)
                    #expect(response.json["detail"]?.stringValue?.contains("unreachable") == true)
                }
                try expectNoPendingWithoutLink(shop)
                let statuses = try shop.http.get("\(stack.baseURL)/orders").json["orders"]?.arrayValue?.map { $0["status"]?.stringValue }
                #expect(statuses == ["SESSION_FAILED", "SESSION_FAILED", "SESSION_FAILED"])
            }
        }

        @Test func verificationWhileDinteroIsDownChangesNothing() throws {
            try StackHarness.withStack(sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { stack, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                let redirect = try shop.checkout(order)
                try shop.injectFault(#"{"endpoint":"transactions","status":503,"count":1}"#)
                #expect(try shop.http.get(redirect).status == 502)
                #expect(try shop.status(id) == "PENDING")
                // The shopper reloads once Dintero answers again.
                #expect(try shop.http.get(redirect).json["order"]?["status"]?.stringValue == "AUTHORIZED")
            }
        }

        @Test func expiredTokenIsRefreshed() throws {
            try StackHarness.withStack(workers: 1, threads: 2) { stack, shop in
                _ = try shop.createOrder()
                let before = try #require(try shop.sandboxStats()["tokens_issued"]?.integerValue)
                #expect(before == 1)
                _ = try shop.http.send("POST", "\(shop.sandbox)/__sandbox/expire-tokens")
                let order = try shop.createOrder()  // 401 from Dintero, new token, retried
                #expect(order["status"]?.stringValue == "PENDING")
                #expect(try shop.sandboxStats()["tokens_issued"]?.integerValue == before + 1)
                _ = try shop.createOrder()
                #expect(try shop.sandboxStats()["tokens_issued"]?.integerValue == before + 1)
            }
        }
    }
}
