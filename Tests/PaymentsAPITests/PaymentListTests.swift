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

@Suite struct PaymentListTests {
    let store: SQLPaymentStore<Connection>
    let router: Router
    let provider = FakeProvider()
    let clock = ManualClock(Date(timeIntervalSince1970: 1_795_348_800))  // 2026-11-22 12:00 UTC

    init() throws {
        let (_, connection) = try temporaryStore()
        store = SQLPaymentStore(connection: connection)
        var configuration = try ServiceConfiguration.from(Environment([:]))
        configuration.payments = try PaymentsConfiguration(payPath: "http://p/{TXID}", providerURL: "http://p", providerAPIKey: nil, providerTimeout: 1)
        router = Application.router(
            configuration: configuration, orders: SQLOrderStore(connection: connection), gateway: FakeGateway(),
            payments: store, idempotency: SQLIdempotencyStore(connection: connection), provider: provider, clock: clock, log: testLog
        )
    }

    func list(_ query: String) throws -> (status: HTTPStatus, items: [JSONValue], response: HTTPResponse) {
        let response = router.respond(to: jsonRequest("GET", "/payments", body: nil, contentType: nil, query: query))
        return (response.status, try parse(response).arrayValue ?? [], response)
    }

    /// Payments of 100, 200, 300, 400 pence, one a day from 2026-11-19; the second is paid.
    func seed() throws -> [String] {
        var ids: [String] = []
        clock.set(Date(timeIntervalSince1970: 1_795_089_600))  // 2026-11-19 12:00 UTC
        for amount in [100, 200, 300, 400] {
            let body = #"{"reference":"R\#(amount)","amount":"\#(amount)","returnUrl":"http://s/r"}"#
            ids.append(try parse(router.respond(to: jsonRequest("POST", "/payments", body: body))).string("transactionId"))
            clock.advance(by: 86_400)
        }
        _ = router.respond(to: jsonRequest("POST", "/payments/\(ids[1])/card", body: #"{"cardno":"4242424242424242","cvc":"123","enddate":"12/27"}"#))
        return ids
    }

    @Test func listsNewestFirstInTheContractShape() throws {
        let ids = try seed()
        let (status, items, _) = try list("")
        #expect(status == 200)
        // Latest state change first: payment 1 was paid after payment 3 was created.
        #expect(try items.map { try $0.string("transactionId") } == [ids[1], ids[3], ids[2], ids[0]])
        let paid = try #require(items.first { $0["transactionId"]?.stringValue == ids[1] })
        #expect(paid.objectMembers?.map(\.0) == ["reference", "transactionId", "status", "paymentId", "timestamp", "amount"])
        #expect(paid["status"]?.stringValue == "ok")
        #expect(paid["paymentId"]?.stringValue == "pay_1")
        #expect(paid["amount"]?.stringValue == "200")
        #expect(paid["timestamp"]?.integerValue == 1_795_435_200_000)  // paid at 2026-11-23 12:00
        #expect(items.last?["status"]?.stringValue == "init")
        #expect(items.last?["paymentId"] == .null)
    }

    @Test(arguments: [
        ("status=INIT", [0, 2, 3]), ("status=ok", [1]), ("status=Error", []), ("status=card", []),
        ("minAmount=200", [1, 2, 3]), ("maxAmount=200", [0, 1]), ("minAmount=200&maxAmount=300", [1, 2]),
        ("minAmount=300&maxAmount=300", [2]),
        ("minDate=2026-11-21", [1, 2, 3]), ("maxDate=2026-11-20", [0]), ("minDate=2026-11-20&maxDate=2026-11-20", []),
        ("minDate=2026-11-21T12:00:00Z&maxDate=2026-11-21T12:00:00.000Z", [2]),
        ("minDate=1795262400000&maxDate=1795262400000", [2]),
        ("status=init&minAmount=300", [2, 3]), ("status=ok&maxDate=2026-11-22", []), ("status=ok&minDate=2026-11-23", [1]),
    ])
    func filters(query: String, expected: [Int]) throws {
        let ids = try seed()
        let (status, items, _) = try list(query)
        #expect(status == 200)
        #expect(try Set(items.map { try $0.string("transactionId") }) == Set(expected.map { ids[$0] }), "\(query)")
    }

    @Test(arguments: [
        ("status=paid", "status"), ("minAmount=abc", "minAmount"), ("maxAmount=-1", "maxAmount"), ("minAmount=1.5", "minAmount"),
        ("minDate=yesterday", "minDate"), ("maxDate=2026-13-01", "maxDate"), ("minDate=2026-11-22T25:00Z", "minDate"),
        ("minAmount=300&maxAmount=200", "minAmount"), ("minDate=2026-11-22&maxDate=2026-11-21", "minDate"),
        ("limit=0", "limit"), ("limit=1001", "limit"), ("cursor=x", "cursor"), ("cursor=12", "cursor"), ("cursor=1.2.3", "cursor"), ("minamount=5", "minamount"), ("status=ok&status=init", "status"),
    ])
    func badFiltersAre400(query: String, field: String) throws {
        _ = try seed()
        let (status, _, response) = try list(query)
        #expect(status == 400)
        #expect(try parse(response)["field"]?.stringValue == field)
    }

    @Test func pagesWithACursor() throws {
        let ids = try seed()
        let first = try list("limit=3")
        #expect(try first.items.map { try $0.string("transactionId") } == [ids[1], ids[3], ids[2]])
        let cursor = try #require(first.response.header("X-Next-Cursor"))
        #expect(first.response.header("Link") == "</payments?limit=3&cursor=\(cursor)>; rel=\"next\"")
        let second = try list("limit=3&cursor=\(cursor)")
        #expect(try second.items.map { try $0.string("transactionId") } == [ids[0]])
        #expect(second.response.header("X-Next-Cursor") == nil)
    }
}
