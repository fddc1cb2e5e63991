import Foundation
import HTTPKit
import PaymentsDomain
import PaymentsSQLite
import ServiceSupport
import Testing
import TestSupport

@Suite struct RouterTests {
    struct Shouting: ErrorRenderer {
        func render(_ problem: Problem, for request: HTTPRequest) -> HTTPResponse {
            .json(.object([("shout", .string(problem.title.uppercased()))]), status: problem.status)
        }
    }

    func router() -> Router {
        var router = Router(log: testLog)
        router.group("/loud", errors: Shouting()) { group in
            group.on("GET", ":id") { _, parameters in .json(.string(try parameters.require("id"))) }
            group.on("GET", ":id/typo") { _, parameters in .json(.string(try parameters.require("idd"))) }
            group.on("POST", ":id") { _, _ in throw Problem.invalidField("x", "bad x") }
        }
        router.group("/plain") { group in
            group.on("GET", "") { _, _ in .json(.bool(true)) }
        }
        return router
    }

    @Test func eachGroupRendersItsOwnErrors() {
        let router = router()
        #expect(router.respond(to: HTTPRequest(method: "GET", path: "/loud/a%20b")).body == Array(#""a b""#.utf8))
        let problem = router.respond(to: HTTPRequest(method: "POST", path: "/loud/1"))
        #expect(problem.status == 400)
        #expect(String(decoding: problem.body, as: UTF8.self) == #"{"shout":"INVALID REQUEST"}"#)
        let notFound = router.respond(to: HTTPRequest(method: "GET", path: "/loud/1/2/3"))
        #expect(notFound.status == 404)
        #expect(String(decoding: notFound.body, as: UTF8.self) == #"{"shout":"NOT FOUND"}"#)
        let wrongMethod = router.respond(to: HTTPRequest(method: "PUT", path: "/loud/1"))
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD, POST")
        #expect(String(decoding: wrongMethod.body, as: UTF8.self) == #"{"shout":"METHOD NOT ALLOWED"}"#)
        let outside = router.respond(to: HTTPRequest(method: "GET", path: "/elsewhere"))
        #expect(outside.header("Content-Type") == "application/problem+json")
        #expect(router.respond(to: HTTPRequest(method: "HEAD", path: "/plain")).body.isEmpty)
    }

    /// A handler asking for a parameter its route does not capture is a 500, never "".
    @Test func aMissingRouteParameterIsAnError() {
        let response = router().respond(to: HTTPRequest(method: "GET", path: "/loud/1/typo"))
        #expect(response.status == 500)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"shout":"INTERNAL SERVER ERROR"}"#)
    }

    @Test func headerFieldsAreCaseInsensitiveAndOrdered() {
        var fields: HTTPFields = [("Set-Cookie", "a"), ("content-type", "text/plain"), ("Set-Cookie", "b")]
        #expect(fields["Content-Type"] == "text/plain")
        #expect(fields.values("set-cookie") == ["a", "b"])
        // Case folding is for letters only: '-' and '\r' differ by the same bit as 'A' and 'a'.
        #expect(fields["content\rtype"] == nil)
        #expect(fields["content-typ"] == nil)
        fields.set("CONTENT-TYPE", "application/json")
        #expect(fields.values("content-type") == ["application/json"])
        fields.remove("set-cookie")
        #expect(fields.count == 1)
    }
}

@Suite struct AbsoluteHTTPURLTests {
    @Test(arguments: ["http://a", "https://shop.example/x?y=1", "HTTP://127.0.0.1:3000/", "https://user@host:8443", "http://[::1]:3000/x"])
    func accepts(_ url: String) { #expect(AbsoluteHTTPURL.isValid(url)) }

    @Test func originsForContentSecurityPolicy() {
        #expect(AbsoluteHTTPURL.origin(of: "HTTP://User@Shop.Example:8443/return?o=1") == "http://shop.example:8443")
        #expect(AbsoluteHTTPURL.origin(of: "http://[::1]:3000/x") == "http://[::1]:3000")
        #expect(AbsoluteHTTPURL.origin(of: "http://a;b/") == nil)
        #expect(AbsoluteHTTPURL.origin(of: "no-scheme") == nil)
    }

    @Test(arguments: ["ftp://a", "http://", "https:///path", "http://a b", "http://a\"b", "//a", "javascript:alert(1)", "http://:80/", "http://a/<x>"])
    func refuses(_ url: String) { #expect(!AbsoluteHTTPURL.isValid(url)) }
}

@Suite struct OrderDecisionTests {
    let pending = Order(id: "o", createdAt: 1, updatedAt: 1, amount: 100, currency: "NOK", receipt: nil, status: .pending, sessionID: "s", sessionURL: "u")

    func change(_ status: OrderStatus, transaction: String? = nil, verified: Bool = true) -> OrderStatusChange {
        OrderStatusChange(orderID: "o", status: status, transactionID: transaction, verified: verified, source: "test", at: 9)
    }

    @Test func appliesAllowedChangesWithTheirData() {
        guard case .apply(let next) = change(.authorized, transaction: "T1").decide(for: pending) else {
            Issue.record("expected apply")
            return
        }
        #expect(next.status == .authorized)
        #expect(next.transactionID == "T1")
        #expect(next.updatedAt == 9)
        #expect(next.sessionURL == "u")
    }

    @Test func keepsRepeatsAndRefusesOtherTransactionsAndBackwardMoves() {
        var paid = pending
        paid.status = .captured
        paid.transactionID = "T1"
        #expect(change(.captured, transaction: "T1").decide(for: paid) == .keep)
        #expect(change(.captured, transaction: "T2").decide(for: paid) == .refuse)
        #expect(change(.authorized, transaction: "T1").decide(for: paid) == .refuse)
        #expect(change(.cancelled, verified: false).decide(for: paid) == .refuse)
    }
}

@Suite struct CardPaymentServiceTests {
    @Test func interruptedPaymentsEndInErrorAfterTheGracePeriod() throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let store = SQLitePaymentStore(connection: try temporaryDatabase())
        let service = CardPaymentService(store: store, provider: FakeProvider(), clock: clock, log: testLog)
        let payment = try service.create(CreatePaymentInput(reference: "r", amount: 100, returnURL: "http://a/b"))
        _ = try store.transition(transactionID: payment.transactionID, from: .initial, to: .card, changes: PaymentChanges(), at: clock.now().epochMilliseconds)
        clock.advance(by: 50)
        #expect(try service.failInterrupted(olderThan: 70) == 0)
        clock.advance(by: 30)
        #expect(try service.failInterrupted(olderThan: 70) == 1)
        let failed = try #require(try store.payment(transactionID: payment.transactionID))
        #expect(failed.state == .error)
        #expect(failed.errorReason == "provider outcome unknown: processing was interrupted")
    }
}
