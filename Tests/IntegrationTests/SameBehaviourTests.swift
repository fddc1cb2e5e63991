import Foundation
import HTTPKit
import Testing
import TestSupport

/// Where a test body runs: against the router in this process, or live through nginx and the
/// worker processes. The same assertions must hold both ways.
enum Transport: String, CaseIterable, CustomTestStringConvertible {
    case inProcess, live

    var testDescription: String { rawValue }

    /// Runs `body` with a client of this kind; a live stack is started and stopped around it.
    func run(_ body: (any TestClient) throws -> Void) throws {
        switch self {
        case .inProcess:
            try body(try InProcessClient())
        case .live:
            try StackHarness.withStack { _, shop in try body(shop.http) }
        }
    }
}

extension IntegrationSuite {
    /// The same request/response contract in-process and through the real stack, so the unit
    /// tests' in-process router is known to be what nginx and FastCGI serve.
    @Suite struct SameBehaviourTests {
        @Test(arguments: Transport.allCases)
        func createShowAndListAnOrder(_ transport: Transport) throws {
            try transport.run { client in
                let created = try client.postJSON("/orders", #"{"amount": 29900, "currency": "NOK", "receipt": "r-1"}"#)
                #expect(created.status == 200)
                #expect(created.json.objectMembers?.map(\.0) == ["id", "created_at", "amount", "currency", "receipt", "status", "captured_amount", "refunded_amount", "expires_at", "links"])
                #expect(created.json["status"]?.stringValue == "PENDING")
                let id = try #require(created.json["id"]?.stringValue)
                let shown = try client.get("/orders/\(id)")
                #expect(shown.status == 200)
                #expect(shown.json == created.json)
                let listed = try client.get("/orders?limit=5").json["orders"]?.arrayValue ?? []
                #expect(listed.first?["id"]?.stringValue == id)
            }
        }

        @Test(arguments: Transport.allCases)
        func badOrderBodiesNameTheField(_ transport: Transport) throws {
            try transport.run { client in
                let cases: [(body: String, type: String, status: Int, field: String)] = [
                    (#"{"amount":29900,"currency":"NOK"}"#, "text/plain", 415, "body"),
                    ("not json", "application/json", 400, "body"),
                    (#"{"amount":"1","currency":"NOK"}"#, "application/json", 400, "amount"),
                    (#"{"amount":100,"currency":"nok"}"#, "application/json", 400, "currency"),
                ]
                for item in cases {
                    let response = try client.postJSON("/orders", item.body, contentType: item.type)
                    #expect(response.status.code == item.status, "\(item.body)")
                    #expect(response.header("Content-Type") == "application/problem+json")
                    #expect(response.json["field"]?.stringValue == item.field, "\(item.body)")
                }
            }
        }

        /// Everything under /payments answers in the contract's `{"message"}` shape, including
        /// the router's own 404 and 405; /orders answers problem documents.
        @Test(arguments: Transport.allCases)
        func eachAPIKeepsItsErrorShape(_ transport: Transport) throws {
            try transport.run { client in
                let missing = try client.get("/payments/\(UUID().uuidString)/nothing-here")
                #expect(missing.status == 404)
                #expect(missing.header("Content-Type") == "application/json")
                #expect(missing.json["message"]?.stringValue?.isEmpty == false)
                #expect(missing.json["type"] == nil)

                let wrongMethod = try client.send("DELETE", "/payments", body: nil, headers: [:])
                #expect(wrongMethod.status == 405)
                #expect(wrongMethod.header("Allow") == "POST, GET, HEAD")
                #expect(wrongMethod.json["message"]?.stringValue?.contains("DELETE") == true)

                let orderMissing = try client.get("/orders/x/nothing-here")
                #expect(orderMissing.status == 404)
                #expect(orderMissing.header("Content-Type") == "application/problem+json")
                #expect(orderMissing.json["title"]?.stringValue == "Not Found")
            }
        }

        @Test(arguments: Transport.allCases)
        func paymentCreateCardAndOutcome(_ transport: Transport) throws {
            try transport.run { client in
                let created = try client.postJSON("/payments", #"{"reference": "REF-1", "amount": "2500", "returnUrl": "http://127.0.0.1:9/back"}"#)
                #expect(created.status == 200)
                let id = try #require(created.json["transactionId"]?.stringValue)
                #expect(try client.get("/payments/\(id)").status == 403)
                let card = try client.postJSON("/payments/\(id)/card", #"{"cardno": "4242424242424242", "cvc": "123", "enddate": "12/39"}"#)
                #expect(card.status == 200)
                #expect(card.json["url"]?.stringValue == "http://127.0.0.1:9/back")
                let outcome = try client.get("/payments/\(id)")
                #expect(outcome.status == 200)
                #expect(outcome.json["paymentId"]?.stringValue?.isEmpty == false)
                let again = try client.postJSON("/payments/\(id)/card", #"{"cardno": "4242424242424242", "cvc": "123", "enddate": "12/39"}"#)
                #expect(again.status == 409)
            }
        }
    }
}
