import Foundation
import LocalStack
import HTTPKit
import PaymentsDomain
import ServiceSupport
import TestSupport
import SQLite
import Testing

extension IntegrationSuite {
    /// The /orders service end to end: real nginx, worker processes, SQLite file, and the
    /// URLSession Dintero client against the local sandbox, all on loopback.
    @Suite struct OrdersFlowTests {
        @Test func payThroughTheHostedPageAndReturn() throws {
            try StackHarness.withStack { stack, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                #expect(order["status"]?.stringValue == "PENDING")

                let redirect = try shop.checkout(order)
                let components = try #require(URLComponents(string: redirect))
                #expect(redirect.hasPrefix("\(stack.baseURL)/orders/\(id)/redirect?"))
                #expect(components.value("merchant_reference") == id)
                #expect(components.value("transaction_id") != nil)
                #expect(components.value("session_id") != nil)

                let json = try shop.http.get(redirect)
                #expect(json.status == 200)
                #expect(json.json["order"]?["status"]?.stringValue == "AUTHORIZED")
                #expect(json.json["verified"] == .bool(true))
                let page = try shop.http.get(redirect, accept: "text/html")
                #expect(page.status == 200)
                #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
                #expect(page.text.contains("Thank you"))
                let alias = try shop.http.get(redirect.replacingOccurrences(of: "/redirect?", with: "/payment-redirect?"))
                #expect(alias.status == 200)

                let list = try shop.http.get("\(stack.baseURL)/orders").json["orders"]?.arrayValue ?? []
                #expect(list.first { $0["id"]?.stringValue == id }?["status"]?.stringValue == "AUTHORIZED")
            }
        }

        @Test func cancelOnTheHostedPage() throws {
            try StackHarness.withStack { stack, shop in
                let order = try shop.createOrder()
                let redirect = try shop.checkout(order, outcome: nil)
                #expect(URLComponents(string: redirect)?.value("error") == "cancelled")
                let response = try shop.http.get(redirect)
                #expect(response.status == 200)
                #expect(response.json["order"]?["status"]?.stringValue == "CANCELLED")
            }
        }

        @Test func declinedPaymentIsRecorded() throws {
            try StackHarness.withStack { stack, shop in
                let order = try shop.createOrder()
                let response = try shop.http.get(try shop.checkout(order, outcome: "DECLINED"))
                #expect(response.json["order"]?["status"]?.stringValue == "DECLINED")
            }
        }

        @Test func callbackCompletesTheOrderWhenTheShopperNeverReturns() throws {
            try StackHarness.withStack { stack, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                _ = try shop.checkout(order)  // the browser is closed: the redirect is never followed
                #expect(try shop.eventually { try shop.status(id) == "AUTHORIZED" })
                #expect(try shop.sandboxStats()["callbacks_delivered"]?.integerValue == 1)
            }
        }

        @Test func unknownOrderIs404() throws {
            try StackHarness.withStack { stack, shop in
                let http = shop.http
                let response = try http.get("\(stack.baseURL)/orders/00000000-0000-4000-8000-000000000000/redirect?transaction_id=x")
                #expect(response.status == 404)
                #expect(response.header("Content-Type") == "application/problem+json")
                #expect(try http.get("\(stack.baseURL)/orders/nope").status == 404)
            }
        }

        @Test func badBodiesAreRefusedWithProblems() throws {
            try StackHarness.withStack { stack, shop in
                let http = shop.http
                let url = "\(stack.baseURL)/orders"
                let cases: [(body: String, type: String, status: Int, field: String)] = [
                    (#"{"amount":29900,"currency":"NOK"}"#, "text/plain", 415, "body"),
                    ("not json", "application/json", 400, "body"),
                    ("", "application/json", 400, "body"),
                    (#"{"amount":29900,"currency":"NOK","foo":1}"#, "application/json", 400, "foo"),
                    (#"{"amount":"29900","currency":"NOK"}"#, "application/json", 400, "amount"),
                    (#"{"amount":29900,"currency":"nok"}"#, "application/json", 400, "currency"),
                    (#"{"amount":29900,"currency":"NOK","receipt":"\#(String(repeating: "x", count: 20_000))"}"#, "application/json", 413, "body"),
                    (#"{"receipt":"\#(String(repeating: "x", count: 100_000))"}"#, "application/json", 413, "body"),
                ]
                for item in cases {
                    let response = try http.postJSON(url, item.body, contentType: item.type)
                    #expect(response.status == item.status, "\(item.body.prefix(40))")
                    #expect(response.header("Content-Type") == "application/problem+json")
                    #expect(response.json["field"]?.stringValue == item.field, "\(item.body.prefix(40))")
                }
                let wrongMethod = try http.send("DELETE", url)
                #expect(wrongMethod.status == 405)
                #expect(try http.get("\(stack.baseURL)/orders/a/b/c").status == 404)
                #expect(try http.get("\(stack.baseURL)/elsewhere").status == 404)
                let orders = try http.get(url).json["orders"]?.arrayValue
                #expect(orders?.isEmpty == true)
            }
        }
    }
}
