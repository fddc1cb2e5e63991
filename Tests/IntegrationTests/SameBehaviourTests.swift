import Foundation
import HTTPKit
import PaymentsDomain
import Testing
import TestSupport

/// Where a test body runs: against the router in this process, or live through nginx and the
/// worker processes. The same assertions must hold both ways.
enum Transport: String, CaseIterable, CustomTestStringConvertible {
    case inProcess, live

    var testDescription: String { rawValue }

    /// Runs `body` with a client of this kind; a live stack is started and stopped around it.
    func run(_ body: (any TestClient) throws -> Void) throws {
        try run { scenario in try body(scenario.client) }
    }

    /// Runs `body` with a ``Scenario`` of this kind: the worker reads `environment` either way;
    /// a live stack is started (its sandbox reading `sandboxEnvironment`) and stopped around it.
    func run(environment: [String: String] = [:], sandboxEnvironment: [String: String] = [:], _ body: (Scenario) throws -> Void) throws {
        switch self {
        case .inProcess:
            let client = try InProcessClient(environment: environment)
            try body(Scenario(client: client, addTransaction: { reference, amount, currency, sessionID in
                let id = "T1.made-elsewhere-\(UUID().uuidString.prefix(8))"
                client.gateway.transactions[id] = GatewayTransaction(
                    id: id, status: .authorized, amount: amount, currency: currency, merchantReference: reference, sessionID: sessionID
                )
                return id
            }, pay: { order in
                // As the shopper paying on the page: a transaction on the order's own session.
                let orderID = try order.string("id")
                let link = try #require(order["links"]?.arrayValue?.first?["href"]?.stringValue)
                let id = "T1.paid-\(orderID.prefix(8))"
                client.gateway.transactions[id] = GatewayTransaction(
                    id: id, status: .authorized, amount: try order.integer("amount"), currency: try order.string("currency"),
                    merchantReference: orderID, sessionID: String(link.split(separator: "/").last ?? "")
                )
                return id
            }))
        case .live:
            try StackHarness.withStack(workerEnvironment: environment, sandboxEnvironment: sandboxEnvironment) { _, shop in
                try body(Scenario(client: shop.http, addTransaction: { reference, amount, currency, sessionID in
                    let session = sessionID.map { #", "session_id": "\#($0)""# } ?? ""
                    let made = try shop.http.postJSON("\(shop.sandbox)/__sandbox/transactions", """
                        {"merchant_reference": "\(reference)", "status": "AUTHORIZED", "amount": \(amount), "currency": "\(currency)"\(session)}
                        """)
                    return try made.json.string("id")
                }, pay: { order in
                    try #require(URLComponents(string: try shop.checkout(order))?.queryItems?.first { $0.name == "transaction_id" }?.value)
                }))
            }
        }
    }
}

/// What a scenario written once for both transports can do besides sending requests.
struct Scenario {
    /// Requests go here.
    let client: any TestClient
    /// Records, at the payment provider, an authorized transaction for `reference` as another
    /// integration on the account (or its back office) would make it; returns its id.
    let addTransaction: (_ reference: String, _ amount: Int64, _ currency: String, _ sessionID: String?) throws -> String
    /// Pays `order` as its shopper would, on its own session; returns the transaction id.
    let pay: (_ order: JSONValue) throws -> String
}

/// A client that sends a bearer key with every request.
struct Authorized: TestClient {
    let client: any TestClient
    let key: String

    func send(_ method: String, _ target: String, body: [UInt8]?, headers: HTTPFields) throws -> TransportResponse {
        var all = headers
        all.remove("Authorization")
        all.append("Authorization", "Bearer \(key)")
        return try client.send(method, target, body: body, headers: all)
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

        /// A return or callback naming a transaction that is not the order's own payment changes
        /// nothing: another order's, one with the wrong amount or currency, one on no session
        /// (made in the back office or by another integration) or on another, or none at all.
        @Test(arguments: Transport.allCases)
        func forgedReturnsChangeNothing(_ transport: Transport) throws {
            try transport.run(sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { scenario in
                let client = scenario.client
                let id = try client.postJSON("/orders", #"{"amount": 29900, "currency": "NOK"}"#).json.string("id")
                let other = try client.postJSON("/orders", #"{"amount": 29900, "currency": "NOK"}"#).json
                let forgeries = [
                    try scenario.pay(other),
                    try scenario.addTransaction(id, 1, "NOK", nil),
                    try scenario.addTransaction(id, 29900, "SEK", nil),
                    try scenario.addTransaction(id, 29900, "NOK", nil),
                    try scenario.addTransaction(id, 29900, "NOK", "P00000000.other"),
                    "T12345678.doesNotExist",
                ]
                for forged in forgeries {
                    let query = FormEncoding.encode([("transaction_id", forged), ("merchant_reference", id)])
                    let response = try client.get("/orders/\(id)/redirect?\(query)")
                    #expect(response.status == 422, "\(forged)")
                    #expect(response.json["verified"] == .bool(false), "\(forged)")
                    #expect(try client.get("/orders/\(id)/callback?\(query)").status == 422, "\(forged)")
                }
                let order = try client.get("/orders/\(id)").json
                #expect(order["status"]?.stringValue == "PENDING")
                #expect(order["links"]?.arrayValue?.isEmpty == false, "still payable")
            }
        }

        /// Merchant endpoints of both APIs need a bearer key, each in its API's error shape; both
        /// keys of a rotation work; the shopper's routes (return, callback, hosted page) stay public.
        @Test(arguments: Transport.allCases)
        func bearerKeysGuardMerchantEndpointsAndRotate(_ transport: Transport) throws {
            try transport.run(environment: ["PAYMENTS_API_KEY": "old-key-0123456789, new-key-9876543210"]) { scenario in
                let anonymous = scenario.client
                for (method, path) in [("POST", "/orders"), ("GET", "/orders"), ("GET", "/orders/00000000-0000-4000-8000-000000000000"),
                                       ("POST", "/orders/00000000-0000-4000-8000-000000000000/capture"),
                                       ("GET", "/orders/00000000-0000-4000-8000-000000000000/events"),
                                       ("POST", "/payments"), ("GET", "/payments"), ("GET", "/payments/x")] {
                    let response = try anonymous.send(method, path, body: method == "POST" ? Array("{}".utf8) : nil, headers: ["Content-Type": "application/json"])
                    #expect(response.status == 401, "\(method) \(path)")
                    #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(method) \(path)")
                }
                #expect(try anonymous.get("/orders").header("Content-Type") == "application/problem+json")
                #expect(try anonymous.get("/payments").json["message"] != nil)
                for wrong in ["new-key-987654321", "new-key-98765432100", "wrong"] {
                    #expect(try Authorized(client: anonymous, key: wrong).get("/orders").status == 401, "\(wrong)")
                }
                #expect(try anonymous.send("GET", "/orders", body: nil, headers: ["Authorization": "Basic b2xkLWtleQ=="]).status == 401)

                // Both keys of a rotation work.
                let old = Authorized(client: anonymous, key: "old-key-0123456789"), new = Authorized(client: anonymous, key: "new-key-9876543210")
                let created = try old.postJSON("/orders", #"{"amount": 1000, "currency": "NOK"}"#)
                #expect(created.status == 200)
                let id = try created.json.string("id")
                #expect(try new.get("/orders/\(id)").status == 200)
                #expect(try new.get("/orders").status == 200)

                // Shopper-facing routes stay public: the return page, the callback, the card page.
                #expect(try anonymous.get("/orders/\(id)/redirect?error=cancelled").status == 422)
                #expect(try anonymous.get("/orders/\(id)/callback?transaction_id=T1.unknown").status == 422)
                let payment = try new.postJSON("/payments", #"{"reference": "R", "amount": "100", "returnUrl": "http://127.0.0.1:9/"}"#)
                let txid = try payment.json.string("transactionId")
                #expect(try anonymous.get("/payments/\(txid)/pay", accept: "text/html").status == 200)
                #expect(try new.get("/payments/\(txid)").status == 403, "authenticated, but no outcome yet")
            }
        }
    }
}
