import Foundation
import Dintero
import HTTPKit
@testable import PaymentsAPI
import PaymentsApp
import PaymentsDomain
import PaymentsSQL
import PaymentsSQLite
import ServiceSupport
import TestSupport
import SQL
import SQLite
import Testing

@Suite struct OrdersControllerTests {
    let gateway = FakeGateway()
    let store: SQLOrderStore<Connection>
    let connection: Connection
    let router: Router
    let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000.123))

    init() throws {
        (store, connection) = try temporaryStore()
        var configuration = try ServiceConfiguration.from(Environment(["PUBLIC_BASE_URL": "https://shop.example"]))
        configuration.orderRules = CreateOrderInput.Rules()
        router = Application.router(
            configuration: configuration, orders: store, gateway: gateway,
            payments: SQLPaymentStore(connection: connection), idempotency: SQLIdempotencyStore(connection: connection), provider: FakeProvider(), clock: clock, log: testLog
        )
    }

    func createOrder(amount: Int64 = 29900, currency: String = "NOK") throws -> JSONValue {
        let response = router.respond(to: jsonRequest("POST", "/orders", body: #"{"amount":\#(amount),"currency":"\#(currency)","receipt":"receipt#1"}"#))
        #expect(response.status == 200)
        return try parse(response)
    }

    func redirect(_ id: String, _ query: [(String, String)], accept: String? = "application/json", path: String = "redirect") -> HTTPResponse {
        router.respond(to: jsonRequest("GET", "/orders/\(id)/\(path)", body: nil, contentType: nil, query: FormEncoding.encode(query), accept: accept))
    }

    func transaction(for order: JSONValue, id: String = "T1.tx", status: OrderStatus = .authorized, amount: Int64? = nil, reference: String? = nil) throws -> GatewayTransaction {
        let orderID = try order.string("id")
        return GatewayTransaction(
            id: id, status: status, amount: try amount ?? order.integer("amount"), currency: try order.string("currency"),
            merchantReference: reference ?? orderID, sessionID: try store.order(id: orderID)?.sessionID
        )
    }

    func status(_ id: String) throws -> String? {
        try store.order(id: id)?.status.rawValue
    }

    @Test func createAnswersTheSpecShape() throws {
        let order = try createOrder()
        #expect(order.objectMembers?.map(\.0) == ["id", "created_at", "amount", "currency", "receipt", "status", "captured_amount", "refunded_amount", "expires_at", "links"])
        #expect(order["captured_amount"]?.integerValue == 0)
        #expect(order["expires_at"]?.stringValue == "2026-11-19T11:06:40.123Z")  // 24 h by default
        let id = try #require(order["id"]?.stringValue)
        #expect(UUID(uuidString: id) != nil)
        #expect(order["created_at"]?.stringValue == "2026-11-18T11:06:40.123Z")
        #expect(order["amount"]?.integerValue == 29900)
        #expect(order["status"]?.stringValue == "PENDING")
        #expect(order["links"] == .array([.object([("rel", .string("session_link")), ("href", .string("https://pay.example/v1/view/T1.session-1"))])]))
        let sent = try #require(gateway.sessionRequests.first)
        #expect(sent.merchantReference == id)
        #expect(sent.returnURL == "https://shop.example/orders/\(id)/redirect")
        #expect(sent.callbackURL == "https://shop.example/orders/\(id)/callback")
        #expect(sent.expiresAt == 1_795_086_400_123)
        #expect(try store.order(id: id)?.sessionID == "T1.session-1")
    }

    @Test(arguments: [GatewayError.timedOut, .serverError(status: 503), .rejected(status: 400, message: "bad"), .invalidResponse("not JSON"), .unreachable("refused")])
    func gatewayFailureIs502AndNeverPending(_ failure: GatewayError) throws {
        gateway.sessionFailure = failure
        let response = router.respond(to: jsonRequest("POST", "/orders", body: #"{"amount":100,"currency":"NOK"}"#))
        #expect(response.status == 502)
        let problem = try parse(response)
        let id = try #require(problem["order_id"]?.stringValue)
        #expect(try status(id) == "SESSION_FAILED")
        let list = try parse(router.respond(to: jsonRequest("GET", "/orders", body: nil)))
        #expect(list["orders"]?.arrayValue?.contains { $0["status"]?.stringValue == "PENDING" } == false)
    }

    @Test func verifiedRedirectMirrorsTheTransaction() throws {
        let order = try createOrder()
        let id = try order.string("id")
        gateway.transactions["T1.tx"] = try transaction(for: order)
        let response = redirect(id, [("transaction_id", "T1.tx"), ("session_id", "T1.session-1"), ("merchant_reference", id)])
        #expect(response.status == 200)
        #expect(try parse(response)["order"]?["status"]?.stringValue == "AUTHORIZED")
        #expect(try store.order(id: id)?.transactionID == "T1.tx")
        // Repeating it, or the callback arriving too, changes nothing.
        #expect(redirect(id, [("transaction_id", "T1.tx")]).status == 200)
        #expect(redirect(id, [("transaction_id", "T1.tx")], path: "callback").status == 200)
        #expect(redirect(id, [("transaction_id", "T1.tx")], path: "payment-redirect").status == 200)
        #expect(try status(id) == "AUTHORIZED")
        let events = try connection.query("SELECT to_status FROM order_events WHERE order_id = ? ORDER BY id", [.text(id)])
        #expect(events.map { ((try? $0.get("to_status") as String?) ?? nil) } == ["CREATED", "PENDING", "AUTHORIZED"])
    }

    @Test func aSecondTransactionForAPaidOrderIsRefused() throws {
        let order = try createOrder()
        let id = try order.string("id")
        gateway.transactions["T1.tx"] = try transaction(for: order)
        gateway.transactions["T1.other"] = try transaction(for: order, id: "T1.other", status: .captured)
        _ = redirect(id, [("transaction_id", "T1.tx")])
        #expect(redirect(id, [("transaction_id", "T1.other")]).status == 422)
        #expect(try store.order(id: id)?.transactionID == "T1.tx")
    }

    @Test func aStaleSnapshotDoesNotMoveTheOrderBack() throws {
        let order = try createOrder()
        let id = try order.string("id")
        gateway.transactions["T1.tx"] = try transaction(for: order, status: .captured)
        _ = redirect(id, [("transaction_id", "T1.tx")])
        gateway.transactions["T1.tx"] = try transaction(for: order, status: .authorized)
        #expect(redirect(id, [("transaction_id", "T1.tx")]).status == 200)
        #expect(try status(id) == "CAPTURED")
    }

    func sessionID(_ orderID: String) throws -> String { try #require(try store.order(id: orderID)?.sessionID) }

    /// Cancels and failures count once Dintero's record of the order's session confirms them.
    @Test func cancelAndFailedPayments() throws {
        let cancelled = try createOrder().string("id")
        gateway.markCancelled(try sessionID(cancelled))
        #expect(redirect(cancelled, [("error", "cancelled"), ("merchant_reference", cancelled)]).status == 200)
        #expect(try status(cancelled) == "CANCELLED")

        let declinedOrder = try createOrder()
        let declined = try declinedOrder.string("id")
        gateway.transactions["T1.declined"] = try transaction(for: declinedOrder, id: "T1.declined", status: .declined)
        #expect(redirect(declined, [("transaction_id", "T1.declined")]).status == 200)
        #expect(try status(declined) == "DECLINED")

        let failed = try createOrder().string("id")
        gateway.sessions[try sessionID(failed)]?.hasFailed = true
        #expect(redirect(failed, [("error", "failed")]).status == 200)
        #expect(try status(failed) == "FAILED")
    }

    /// Reproducer: `error=cancelled` (or any error) that Dintero's session does not confirm,
    /// from a link prefetcher or anyone who knows the id, changes nothing and says so.
    @Test func anUnconfirmedErrorChangesNothing() throws {
        let id = try createOrder().string("id")
        for error in ["cancelled", "anything"] {
            for path in ["redirect", "callback"] {
                let response = redirect(id, [("error", error)], path: path)
                #expect(response.status == 422)
                #expect(try parse(response)["verified"] == .bool(false))
                #expect(try status(id) == "PENDING")
            }
        }
        let page = redirect(id, [("error", "cancelled")], accept: "text/html")
        #expect(String(decoding: page.body, as: UTF8.self).contains("could not confirm"))
        // Dintero unreachable while checking: 502, unchanged; Dintero refusing: 422, unchanged.
        gateway.sessionError = .timedOut
        #expect(redirect(id, [("error", "cancelled")]).status == 502)
        gateway.sessionError = .rejected(status: 400, message: "<script>x</script>")
        let rejected = redirect(id, [("error", "cancelled")])
        #expect(rejected.status == 422)
        #expect(!String(decoding: rejected.body, as: UTF8.self).contains("script"))
        #expect(try status(id) == "PENDING")
        // A session that was paid after all: the transaction decides.
        gateway.sessionError = nil
        let order = try parse(router.respond(to: jsonRequest("GET", "/orders/\(id)", body: nil)))
        gateway.transactions["T1.late"] = try transaction(for: order, id: "T1.late", status: .authorized)
        gateway.sessions[try sessionID(id)]?.transactionID = "T1.late"
        #expect(redirect(id, [("error", "cancelled")]).status == 200)
        #expect(try status(id) == "AUTHORIZED")
    }

    /// Reproducer: a Dintero 4xx on verification is final (422), a malformed id is the
    /// caller's mistake (400, Dintero not asked), and Dintero's text never reaches the body.
    @Test func verificationErrorsAreMappedAndNotEchoed() throws {
        let id = try createOrder().string("id")
        let malformed = redirect(id, [("transaction_id", "\u{0}")], path: "callback")
        #expect(malformed.status == 400)
        #expect(try parse(malformed)["field"]?.stringValue == "transaction_id")
        gateway.transactionError = .rejected(status: 400, message: "<script>alert(1)</script> at internal-host-7")
        let rejected = redirect(id, [("transaction_id", "T1.any")], path: "callback")
        #expect(rejected.status == 422)
        #expect(!String(decoding: rejected.body, as: UTF8.self).contains("internal-host"))
        gateway.transactionError = .serverError(status: 503)
        // Dintero retries a callback answered 5xx: 503 with Retry-After.
        let unavailable = redirect(id, [("transaction_id", "T1.any")], path: "callback")
        #expect(unavailable.status == 503 && unavailable.header("Retry-After") == "2")
        #expect(try status(id) == "PENDING")
    }

    @Test func anUnverifiedCancelCannotUndoAPayment() throws {
        let order = try createOrder()
        let id = try order.string("id")
        gateway.transactions["T1.tx"] = try transaction(for: order)
        _ = redirect(id, [("transaction_id", "T1.tx")])
        _ = redirect(id, [("error", "cancelled")])
        #expect(try status(id) == "AUTHORIZED")
    }

    /// The shopper's page says to reload (502); Dintero's callback gets 503 + Retry-After.
    @Test func dinteroDownDuringVerificationKeepsTheOrder() throws {
        let order = try createOrder()
        let id = try #require(order["id"]?.stringValue)
        gateway.transactionError = .timedOut
        #expect(redirect(id, [("transaction_id", "T1.tx")]).status == 502)
        #expect(redirect(id, [("transaction_id", "T1.tx")], path: "callback").status == 503)
        #expect(try status(id) == "PENDING")
    }

    @Test func shoppersGetHTMLAndUnknownOrdersAre404() throws {
        let order = try createOrder()
        let id = try order.string("id")
        gateway.transactions["T1.tx"] = try transaction(for: order)
        let page = redirect(id, [("transaction_id", "T1.tx")], accept: "text/html,application/xhtml+xml")
        #expect(page.status == 200)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(String(decoding: page.body, as: UTF8.self).contains("Thank you"))
        #expect(redirect("00000000-0000-0000-0000-000000000000", [("transaction_id", "T1.tx")]).status == 404)
        #expect(redirect("00000000-0000-0000-0000-000000000000", [("transaction_id", "T1.tx")], accept: nil).status == 404)
        #expect(redirect(id, []).status == 400)
    }

    @Test func listIsNewestFirstWithLimit() throws {
        var ids: [String] = []
        for _ in 0..<3 {
            ids.append(try createOrder().string("id"))
            clock.advance(by: 1)
        }
        let list = try parse(router.respond(to: jsonRequest("GET", "/orders", body: nil)))
        #expect(try list["orders"]?.arrayValue?.map { try $0.string("id") } == ids.reversed())
        #expect(list["orders"]?.arrayValue?.first?.objectMembers?.map(\.0) == ["id", "created_at", "amount", "currency", "receipt", "status", "captured_amount", "refunded_amount", "expires_at"])
        let limited = try parse(router.respond(to: jsonRequest("GET", "/orders", body: nil, query: "limit=2")))
        #expect(limited["orders"]?.arrayValue?.count == 2)
        let bad = router.respond(to: jsonRequest("GET", "/orders", body: nil, query: "limit=0"))
        #expect(bad.status == 400)
        #expect(try parse(bad)["field"]?.stringValue == "limit")
        let one = router.respond(to: jsonRequest("GET", "/orders/\(ids[0])", body: nil))
        #expect(try parse(one)["links"]?.arrayValue?.count == 1)
    }

    @Test func unknownRoutesAndMethodsAreProblems() throws {
        let missing = router.respond(to: jsonRequest("GET", "/orders/x/y/z", body: nil))
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/problem+json")
        let wrongMethod = router.respond(to: jsonRequest("DELETE", "/orders", body: nil))
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "POST, GET, HEAD")
        #expect(router.respond(to: jsonRequest("PUT", "/orders/abc", body: nil)).status == 405)
    }
}
