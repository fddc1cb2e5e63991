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

@Suite struct PaymentsControllerTests {
    let provider = FakeProvider()
    let connection: Connection
    let store: SQLPaymentStore<Connection>
    let clock = ManualClock(Date(timeIntervalSince1970: 1_795_348_800))  // 2026-11-22 12:00 UTC

    init() throws {
        (_, connection) = try temporaryStore()
        store = SQLPaymentStore(connection: connection)
    }

    func router(apiKey: String? = nil, payPath: String = "https://pay.example/{TXID}/card?tx={TXID}") throws -> Router {
        var configuration = try ServiceConfiguration.from(Environment([:]))
        configuration.payments = try PaymentsConfiguration(payPath: payPath, providerURL: "http://provider", providerAPIKey: nil, providerTimeout: 1)
        configuration.apiKeys = APIKeys(apiKey.map { [$0] } ?? [])
        return Application.router(
            configuration: configuration, orders: SQLOrderStore(connection: connection), gateway: FakeGateway(),
            payments: store, idempotency: SQLIdempotencyStore(connection: connection), provider: provider, clock: clock, log: testLog
        )
    }

    func create(_ router: Router, amount: String = "123456", reference: String = "REF-1235", key: String? = nil) throws -> HTTPResponse {
        var request = jsonRequest("POST", "/payments", body: #"{"reference": "\#(reference)", "amount": "\#(amount)", "returnUrl": "http://service/return"}"#)
        if let key { request.headers.set("authorization", "Bearer \(key)") }
        return router.respond(to: request)
    }

    func submit(_ router: Router, _ id: String, cardno: String = "4242424242424242", cvc: String = "123", enddate: String = "12/27") -> HTTPResponse {
        router.respond(to: jsonRequest("POST", "/payments/\(id)/card", body: #"{"cardno": "\#(cardno)", "cvc": "\#(cvc)", "enddate": "\#(enddate)"}"#))
    }

    func newPayment(_ router: Router) throws -> String {
        try #require(try parse(try create(router))["transactionId"]?.stringValue)
    }

    @Test func createReplacesEveryTXIDInThePayPath() throws {
        let router = try router()
        let response = try create(router)
        #expect(response.status == 200)
        let body = try parse(response)
        #expect(body.objectMembers?.map(\.0) == ["transactionId", "url"])
        let id = try #require(body["transactionId"]?.stringValue)
        #expect(UUID(uuidString: id) != nil)
        #expect(body["url"]?.stringValue == "https://pay.example/\(id)/card?tx=\(id)")
        #expect(try store.payment(transactionID: id)?.state == .initial)
    }

    @Test func payPathWithoutPlaceholderFailsStartUp() {
        #expect(throws: ConfigurationError.self) {
            try PaymentsConfiguration(payPath: "https://pay.example/card", providerURL: "http://p", providerAPIKey: nil, providerTimeout: 1)
        }
        #expect(throws: ConfigurationError.self) { try ServiceConfiguration.from(Environment(["PAY_PATH": "https://x/pay"])) }
    }

    @Test(arguments: [
        ("0", false), ("1", true), ("123456", true), ("100000000", true), ("100000001", false), ("0123", false),
        ("-5", false), ("+5", false), ("1.5", false), ("1e3", false), ("", false), (" 5", false), ("12a", false),
    ])
    func amountRules(amount: String, accepted: Bool) throws {
        let response = try create(try router(), amount: amount)
        #expect(response.status == (accepted ? 200 : 400))
        if !accepted { #expect(try parse(response)["field"]?.stringValue == "amount") }
    }

    @Test(arguments: [
        (#"{"amount":"1","returnUrl":"http://s/r"}"#, "reference"),
        (#"{"reference":"R","returnUrl":"http://s/r"}"#, "amount"),
        (#"{"reference":"R","amount":"1"}"#, "returnUrl"),
        (#"{"reference":"R","amount":1,"returnUrl":"http://s/r"}"#, "amount"),
        (#"{"reference":"R","amount":"1","returnUrl":"/relative"}"#, "returnUrl"),
        (#"{"reference":"R","amount":"1","returnUrl":"ftp://s/r"}"#, "returnUrl"),
        (#"{"reference":"","amount":"1","returnUrl":"http://s/r"}"#, "reference"),
    ])
    func createNamesTheInvalidField(body: String, field: String) throws {
        let response = try router().respond(to: jsonRequest("POST", "/payments", body: body))
        #expect(response.status == 400)
        let json = try parse(response)
        #expect(json["field"]?.stringValue == field)
        #expect(json["message"]?.stringValue?.isEmpty == false)
    }

    @Test func validCardGoesToTheProviderAndEndsOK() throws {
        let router = try router()
        let id = try newPayment(router)
        let response = submit(router, id)
        #expect(response.status == 200)
        #expect(try parse(response) == .object([("url", .string("http://service/return"))]))
        let payment = try #require(try store.payment(transactionID: id))
        #expect(payment.state == .ok)
        #expect(payment.paymentID == "pay_1")
        #expect(payment.maskedCard == "424242******4242")
        #expect(provider.charges.first?.card.cvc == "123")
        #expect(provider.charges.first?.amount == 123456)
        let outcome = router.respond(to: jsonRequest("GET", "/payments/\(id)", body: nil))
        #expect(outcome.status == 200)
        #expect(try parse(outcome) == .object([("paymentId", .string("pay_1"))]))
    }

    @Test func invalidCardKeepsInitAndStoresNothing() throws {
        let router = try router()
        let id = try newPayment(router)
        for (cardno, cvc, enddate) in [("4242424242424241", "123", "12/27"), ("4242424242424242", "12", "12/27"), ("4242424242424242", "123", "10/26")] {
            let response = submit(router, id, cardno: cardno, cvc: cvc, enddate: enddate)
            #expect(response.status == 200)
            #expect(try parse(response) == .object([("url", .string("http://service/return")), ("error", .string("Invalid card details"))]))
        }
        let missing = router.respond(to: jsonRequest("POST", "/payments/\(id)/card", body: #"{"cardno": 4242424242424242}"#))
        #expect(try parse(missing)["error"]?.stringValue == "Invalid card details")
        let payment = try #require(try store.payment(transactionID: id))
        #expect(payment.state == .initial)
        #expect(payment.maskedCard == nil)
        #expect(provider.chargeCount == 0)
    }

    @Test func everyStateAndEndpoint() throws {
        let router = try router()
        let unknown = "00000000-0000-4000-8000-000000000000"
        for response in [submit(router, unknown), router.respond(to: jsonRequest("GET", "/payments/\(unknown)", body: nil))] {
            #expect(response.status == 404)
            #expect(try parse(response) == .object([("message", .string("Payment details not found."))]))
        }
        // init: GET forbidden
        let initial = try newPayment(router)
        let forbidden = router.respond(to: jsonRequest("GET", "/payments/\(initial)", body: nil))
        #expect(forbidden.status == 403)
        #expect(try parse(forbidden) == .object([("message", .string("Forbidden request."))]))
        // card: GET forbidden, card refused
        let inCard = try newPayment(router)
        _ = try store.transition(transactionID: inCard, .claim, changes: PaymentChanges(), at: 1)
        #expect(router.respond(to: jsonRequest("GET", "/payments/\(inCard)", body: nil)).status == 403)
        #expect(submit(router, inCard).status == 409)
        // OK and ERROR: GET answers, card refused with state unchanged
        let ok = try newPayment(router)
        _ = submit(router, ok)
        provider.result = .success(ProviderOutcome(approved: false, paymentID: "pay_declined", reason: "card_declined"))
        let declined = try newPayment(router)
        _ = submit(router, declined)
        #expect(try store.payment(transactionID: declined)?.state == .error)
        #expect(try store.payment(transactionID: declined)?.errorReason == "declined: card_declined")
        #expect(try parse(router.respond(to: jsonRequest("GET", "/payments/\(declined)", body: nil))) == .object([("paymentId", .string("pay_declined"))]))
        for id in [ok, declined] {
            let again = submit(router, id)
            #expect(again.status == 409)
            #expect(try parse(again)["message"]?.stringValue?.isEmpty == false)
        }
        #expect(try store.payment(transactionID: ok)?.state == .ok)
        #expect(provider.chargeCount == 2)
    }

    @Test func providerFailureEndsInErrorWithTheReason() throws {
        let router = try router()
        provider.result = .failure(ProviderError("provider timed out"))
        let id = try newPayment(router)
        #expect(submit(router, id).status == 200)
        let payment = try #require(try store.payment(transactionID: id))
        #expect(payment.state == .error)
        #expect(payment.errorReason == "provider timed out")
        #expect(try parse(router.respond(to: jsonRequest("GET", "/payments/\(id)", body: nil))) == .object([("paymentId", .null)]))
    }

    @Test func onlyOneOfTwoClaimsWins() throws {
        let router = try router()
        let id = try newPayment(router)
        let first = try store.transition(transactionID: id, .claim, changes: PaymentChanges(maskedCard: "4*4"), at: 1)
        let second = try store.transition(transactionID: id, .claim, changes: PaymentChanges(maskedCard: "4*4"), at: 2)
        #expect(first?.state == .card)
        #expect(second == nil)
        // Moves the domain forbids cannot even be expressed.
        #expect(PaymentMove(from: .card, to: .initial) == nil)
        #expect(PaymentMove(from: .initial, to: .ok) == nil)
        #expect(PaymentMove(from: .ok, to: .error) == nil)
        #expect(PaymentMove(from: .card, to: .ok) == .approve)
    }

    @Test func stalePaymentsInCardAreFailed() throws {
        let router = try router()
        let id = try newPayment(router)
        _ = try store.transition(transactionID: id, .claim, changes: PaymentChanges(), at: 1_000)
        #expect(try store.transitionStale(.fail, updatedBefore: 500, changes: PaymentChanges(errorReason: "x"), at: 2_000, limit: 10) == 0)
        #expect(try store.transitionStale(.fail, updatedBefore: 1_500, changes: PaymentChanges(errorReason: "interrupted"), at: 2_000, limit: 10) == 1)
        #expect(try store.payment(transactionID: id)?.state == .error)
        #expect(try store.payment(transactionID: id)?.errorReason == "interrupted")
    }

    @Test func formPostsRedirectOrShowTheError() throws {
        let router = try router()
        let id = try newPayment(router)
        let page = router.respond(to: jsonRequest("GET", "/payments/\(id)/pay", body: nil, contentType: nil))
        #expect(page.status == 200)
        #expect(String(decoding: page.body, as: UTF8.self).contains("action=\"/payments/\(id)/card\""))
        #expect(page.header("X-Frame-Options") == "DENY")
        let invalid = router.respond(to: jsonRequest("POST", "/payments/\(id)/card", body: "cardno=4242424242424241&cvc=123&enddate=12%2F27", contentType: "application/x-www-form-urlencoded"))
        #expect(invalid.status == 200)
        #expect(String(decoding: invalid.body, as: UTF8.self).contains("Invalid card details"))
        let valid = router.respond(to: jsonRequest("POST", "/payments/\(id)/card", body: "cardno=4242424242424242&cvc=123&enddate=12%2F27", contentType: "application/x-www-form-urlencoded"))
        #expect(valid.status == 303)
        #expect(valid.header("Location") == "http://service/return?status=ok&transactionId=\(id)")
    }

    func form(_ router: Router, _ path: String, _ body: String = "") -> HTTPResponse {
        router.respond(to: jsonRequest("POST", path, body: body, contentType: "application/x-www-form-urlencoded"))
    }

    func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    /// A declined card is told on our page, which stays there on reopening and leads back to
    /// the shop with the outcome; a repeat submission lands on the same page, never on a dead end.
    @Test func aDeclinedCardIsToldOnTheHostedPageAndTheWayBackCarriesIt() throws {
        let router = try router()
        provider.result = .success(ProviderOutcome(approved: false, paymentID: "pay_declined", reason: "insufficient_funds"))
        let id = try newPayment(router)
        let card = "cardno=4000000000009995&cvc=123&enddate=12%2F27"
        let posted = form(router, "/payments/\(id)/card", card)
        #expect(posted.status == 303)
        #expect(posted.header("Location") == "/payments/\(id)/pay")
        let page = router.respond(to: jsonRequest("GET", "/payments/\(id)/pay", body: nil, contentType: nil))
        #expect(page.status == 200)
        #expect(text(page).contains("<h1>Payment declined</h1>"))
        #expect(text(page).contains("not enough funds"))
        #expect(text(page).contains("href=\"http://service/return?status=declined&amp;transactionId=\(id)&amp;reason=insufficient_funds\""))
        #expect(!text(page).contains("http-equiv=\"refresh\""))
        let again = form(router, "/payments/\(id)/card", card)
        #expect(again.status == 303)
        #expect(again.header("Location") == "/payments/\(id)/pay")
        #expect(provider.chargeCount == 1)
    }

    /// A payment with the provider shows a page that reloads itself until the outcome is known.
    @Test func aPaymentInProgressShowsAPageThatFollowsIt() throws {
        let router = try router()
        let id = try newPayment(router)
        _ = try store.transition(transactionID: id, .claim, changes: PaymentChanges(), at: 1_000)
        let page = router.respond(to: jsonRequest("GET", "/payments/\(id)/pay", body: nil, contentType: nil))
        #expect(page.status == 200)
        #expect(text(page).contains("<h1>Payment in progress</h1>"))
        #expect(text(page).contains("<meta http-equiv=\"refresh\" content=\"2\">"))
        #expect(text(page).contains("do not pay again"))
    }

    /// "Cancel and go back" records the payment as cancelled (ERROR, so the calling service can
    /// tell it from one in progress) and returns with status=cancelled; only while it waits for
    /// a card, and the form takes no fields.
    @Test func cancelOnTheHostedPageIsRecorded() throws {
        let router = try router()
        let id = try newPayment(router)
        #expect(form(router, "/payments/\(id)/cancel", "x=1").status == 400)
        #expect(try store.payment(transactionID: id)?.state == .initial)
        let cancelled = form(router, "/payments/\(id)/cancel")
        #expect(cancelled.status == 303)
        #expect(cancelled.header("Location") == "http://service/return?status=cancelled&transactionId=\(id)")
        let payment = try #require(try store.payment(transactionID: id))
        #expect(payment.state == .error)
        #expect(payment.outcome == .cancelled)
        #expect(text(router.respond(to: jsonRequest("GET", "/payments/\(id)/pay", body: nil, contentType: nil))).contains("<h1>Payment cancelled</h1>"))
        #expect(form(router, "/payments/\(id)/card", "cardno=4242424242424242&cvc=123&enddate=12%2F27").header("Location") == "/payments/\(id)/pay")
        #expect(provider.chargeCount == 0)
        let paid = try newPayment(router)
        _ = submit(router, paid)
        #expect(form(router, "/payments/\(paid)/cancel").header("Location") == "/payments/\(paid)/pay")
        #expect(try store.payment(transactionID: paid)?.state == .ok)
        #expect(form(router, "/payments/unknown/cancel").status == 404)
    }

    /// An invalid submission moves focus to the error summary and says so in the title.
    @Test func anInvalidSubmissionFocusesTheSummary() throws {
        let router = try router()
        let id = try newPayment(router)
        let invalid = text(form(router, "/payments/\(id)/card", "cardno=4242424242424241&cvc=123&enddate=12%2F27"))
        #expect(invalid.contains("<title>Error: Pay 1,234.56 GBP</title>") || invalid.contains("<title>Error: Pay £1,234.56</title>"))
        #expect(invalid.contains("id=\"error-summary\" tabindex=\"-1\" autofocus"))
    }

}

/// The hosted card page as a shopper meets it (issue 8): field-level errors, kept values,
/// spaced numbers, the payment's currency, and a CSP that lets the form reach the returnUrl.
@Suite struct CardPageTests {
    let connection: Connection
    let router: Router

    init() throws {
        connection = try temporaryDatabase()
        var configuration = try ServiceConfiguration.from(Environment(["MERCHANT_NAME": "Bits & Bobs", "PAYMENTS_CURRENCY": "EUR"]))
        configuration.orderRules = CreateOrderInput.Rules()
        router = Application.router(
            configuration: configuration, orders: SQLOrderStore(connection: connection), gateway: FakeGateway(),
            payments: SQLPaymentStore(connection: connection), idempotency: SQLIdempotencyStore(connection: connection),
            provider: FakeProvider(), log: testLog
        )
    }

    func newPayment(returnURL: String = "http://127.0.0.1:9911/shop/return?o=1") throws -> String {
        let response = router.respond(to: jsonRequest("POST", "/payments", body: #"{"reference": "R-1", "amount": "1234", "returnUrl": "\#(returnURL)"}"#))
        return try #require(try parse(response)["transactionId"]?.stringValue)
    }

    func submit(_ id: String, _ form: String) -> HTTPResponse {
        router.respond(to: jsonRequest("POST", "/payments/\(id)/card", body: form, contentType: "application/x-www-form-urlencoded"))
    }

    @Test func theFormMayPostToTheReturnOriginAndNothingElse() throws {
        let page = router.respond(to: jsonRequest("GET", "/payments/\(try newPayment())/pay", body: nil, contentType: nil))
        let csp = try #require(page.header("Content-Security-Policy"))
        #expect(csp.contains("form-action 'self' http://127.0.0.1:9911;"))
        #expect(csp.contains("default-src 'none'"))
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("Pay Bits &amp; Bobs"))
        #expect(html.contains("€12.34"))
        #expect(!html.contains("£"))
        #expect(html.contains("novalidate"))
    }

    @Test func errorsSitNextToTheirFieldAndValuesAreKeptButTheCVC() throws {
        let id = try newPayment()
        let page = submit(id, "cardno=4242+4242+4242+4242&cvc=12&enddate=12%2F39")
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains(#"id="cvc" name="cvc" value="" aria-invalid="true" aria-describedby="cvc-error""#))
        #expect(html.contains(#"<p class="error" id="cvc-error">Enter the 3 or 4 digits of the security code.</p>"#))
        #expect(html.contains(#"name="cardno" value="4242 4242 4242 4242""#))
        #expect(!html.contains(#"aria-describedby="cardno-error""#))
        #expect(html.contains(#"name="enddate" value="12/39""#))
        #expect(!html.contains("value=\"12\""))
        let luhn = String(decoding: submit(id, "cardno=4242-4242-4242-4241&cvc=123&enddate=01%2F20").body, as: UTF8.self)
        #expect(luhn.contains(#"id="cardno-error""#) && luhn.contains(#"id="enddate-error""#) && !luhn.contains(#"id="cvc-error""#))
    }

    @Test func spacesAndDashesInTheNumberAreAccepted() throws {
        let spaced = submit(try newPayment(), "cardno=4242+4242+4242+4242&cvc=123&enddate=12%2F39")
        #expect(spaced.status == 303)
        #expect(spaced.header("Location")?.hasPrefix("http://127.0.0.1:9911/shop/return?o=1&status=ok&transactionId=") == true)
        #expect(submit(try newPayment(), "cardno=4242-4242-4242-4242&cvc=123&enddate=12%2F39").status == 303)
        let stored = try connection.query("SELECT card_masked FROM payments WHERE card_masked IS NOT NULL").compactMap { $0[0].string }
        #expect(stored == ["424242******4242", "424242******4242"])
    }

    @Test func terminalPagesLeadBackToTheShop() throws {
        let id = try newPayment()
        _ = submit(id, "cardno=4242424242424242&cvc=123&enddate=12%2F39")
        let closed = String(decoding: router.respond(to: jsonRequest("GET", "/payments/\(id)/pay", body: nil, contentType: nil)).body, as: UTF8.self)
        #expect(closed.contains(#"href="http://127.0.0.1:9911/shop/return?o=1&amp;status=ok&amp;transactionId=\#(id)">Continue to Bits &amp; Bobs</a>"#))
    }
}
