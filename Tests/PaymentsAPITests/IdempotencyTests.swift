import Foundation
import HTTPKit
@testable import PaymentsAPI
import PaymentsApp
import PaymentsDomain
import PaymentsSQL
import PaymentsSQLite
import ServiceSupport
import SQL
import SQLite
import Testing
import TestSupport

@Suite struct IdempotencyTests {
    let gateway = FakeGateway()
    let provider = FakeProvider()
    let connection: Connection
    let router: Router
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))

    init() throws {
        connection = try temporaryDatabase()
        var configuration = try ServiceConfiguration.from(Environment(["PAYMENTS_API_KEY": "key-a,key-b"]))
        configuration.orderRules = CreateOrderInput.Rules()
        router = Application.router(
            configuration: configuration, orders: SQLOrderStore(connection: connection), gateway: gateway,
            payments: SQLPaymentStore(connection: connection), idempotency: SQLIdempotencyStore(connection: connection),
            provider: provider, clock: clock, log: testLog
        )
    }

    func post(_ path: String, _ body: String, key: String?, apiKey: String = "key-a") -> HTTPResponse {
        var request = jsonRequest("POST", path, body: body)
        request.headers.append("Authorization", "Bearer \(apiKey)")
        if let key { request.headers.append("Idempotency-Key", key) }
        return router.respond(to: request)
    }

    func count(_ table: String) throws -> Int64 {
        try #require(try connection.queryOne("SELECT count(*) FROM \(table)")?[0].int64)
    }

    let order = #"{"amount": 29900, "currency": "NOK"}"#

    /// Reproducer 3: the same key twice makes one order; the repeat replays the first answer.
    @Test func aRepeatIsReplayedNotRepeated() throws {
        let first = post("/orders", order, key: "k-1")
        #expect(first.status == 200)
        #expect(first.header("Idempotent-Replayed") == nil)
        let second = post("/orders", order, key: "k-1")
        #expect(second.status == 200)
        #expect(second.header("Idempotent-Replayed") == "true")
        #expect(second.body == first.body)
        #expect(second.header("Content-Type") == "application/json")
        #expect(try count("orders") == 1)
        #expect(gateway.sessionRequests.count == 1)
        // Without a key, or with another key, a new order each time.
        #expect(post("/orders", order, key: nil).status == 200)
        #expect(post("/orders", order, key: "k-2").status == 200)
        #expect(try count("orders") == 3)
    }

    @Test func aKeyReusedForAnotherRequestIs422() throws {
        #expect(post("/orders", order, key: "k").status == 200)
        let other = post("/orders", #"{"amount": 100, "currency": "NOK"}"#, key: "k")
        #expect(other.status == 422)
        #expect(try parse(other)["field"]?.stringValue == "Idempotency-Key")
        #expect(post("/payments", #"{"reference": "R", "amount": "100", "returnUrl": "http://a/b"}"#, key: "k").status == 422)
        #expect(try count("orders") == 1)
    }

    /// Keys belong to the API key that used them.
    @Test func keysAreScopedPerAPIKey() throws {
        let a = post("/orders", order, key: "shared", apiKey: "key-a")
        let b = post("/orders", order, key: "shared", apiKey: "key-b")
        #expect(a.status == 200 && b.status == 200)
        #expect(b.header("Idempotent-Replayed") == nil)
        #expect(try parse(a)["id"] != parse(b)["id"])
    }

    /// Validation failures keep no key (Stripe's rule), so a corrected retry goes through.
    @Test func validationFailuresKeepNoKey() throws {
        #expect(post("/orders", #"{"amount": -1, "currency": "NOK"}"#, key: "k").status == 400)
        #expect(post("/orders", order, key: "k").status == 200)
        for bad in [String(repeating: "x", count: 256), "has space", ""] {
            let response = post("/orders", order, key: bad)
            #expect(response.status == 400)
            #expect(try parse(response)["field"]?.stringValue == "Idempotency-Key")
        }
    }

    /// A 502 (Dintero would not open the session) is an outcome too: replayed, not retried.
    @Test func aFailedCreateIsReplayed() throws {
        gateway.sessionFailure = .serverError(status: 503)
        let first = post("/orders", order, key: "k")
        #expect(first.status == 502)
        gateway.sessionFailure = nil
        let second = post("/orders", order, key: "k")
        #expect(second.status == 502)
        #expect(second.header("Idempotent-Replayed") == "true")
        #expect(second.header("Content-Type") == "application/problem+json")
        #expect(gateway.sessionRequests.count == 1)
    }

    @Test func paymentsAndCardSubmissionsAreReplayed() throws {
        let body = #"{"reference": "R", "amount": "100", "returnUrl": "http://a/b"}"#
        let created = post("/payments", body, key: "p-1")
        let again = post("/payments", body, key: "p-1")
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again.body == created.body)
        #expect(try count("payments") == 1)
        let txid = try #require(try parse(created)["transactionId"]?.stringValue)
        let card = #"{"cardno": "4242424242424242", "cvc": "123", "enddate": "12/39"}"#
        let charged = post("/payments/\(txid)/card", card, key: "c-1")
        #expect(charged.status == 200)
        let repeated = post("/payments/\(txid)/card", card, key: "c-1")
        #expect(repeated.status == 200)
        #expect(repeated.header("Idempotent-Replayed") == "true")
        #expect(provider.chargeCount == 1)
        // The fingerprint, not the body, is stored: no card data in the key table.
        let rows = try connection.query("SELECT fingerprint, body FROM idempotency_keys")
        for row in rows {
            let stored = String(decoding: (try row.get("body") as SQLValue).blob ?? [], as: UTF8.self) + (try row.get("fingerprint") as String)
            #expect(!stored.contains("4242424242424242") && !stored.contains("\"123\""))
        }
    }

    /// A repeat while the first request still runs is 409 with Retry-After.
    @Test func aRepeatInFlightIs409() throws {
        let store = SQLIdempotencyStore(connection: connection)
        let fingerprint = IdempotencyService.fingerprint(method: "POST", path: "/orders", body: Array(order.utf8))
        let scope = "key:" + String(SHA256.hex(SHA256.hash(Array("key-a".utf8))).prefix(16))
        #expect(try store.claim(IdempotencyRecord(
            scope: scope, key: "busy", fingerprint: fingerprint, owner: ProcessIdentity.current,
            leaseUntil: clock.now().epochMilliseconds + 60_000, createdAt: clock.now().epochMilliseconds
        )) == nil)
        let response = post("/orders", order, key: "busy")
        #expect(response.status == 409)
        #expect(response.header("Retry-After") == "1")
        #expect(try count("orders") == 0)
    }

    /// The first attempt's process died after storing the order: the retry takes the key over
    /// and finishes that order instead of creating another.
    @Test func aRetryAfterACrashResumesTheCreate() throws {
        let store = SQLIdempotencyStore(connection: connection)
        let fingerprint = IdempotencyService.fingerprint(method: "POST", path: "/orders", body: Array(order.utf8))
        let scope = "key:" + String(SHA256.hex(SHA256.hash(Array("key-a".utf8))).prefix(16))
        let now = clock.now().epochMilliseconds
        let dead = "\(ProcessInfo.processInfo.hostName):\(Int32.max - 7)"
        _ = try store.claim(IdempotencyRecord(scope: scope, key: "crashed", fingerprint: fingerprint, owner: dead, leaseUntil: now + 60_000, createdAt: now))
        let orders = SQLOrderStore(connection: connection)
        try orders.insert(
            Order(id: "11111111-2222-4333-8444-555555555555", createdAt: now, updatedAt: now, amount: 29900, currency: "NOK", receipt: nil, status: .created),
            linking: IdempotencyLink(scope: scope, key: "crashed")
        )
        let retry = post("/orders", order, key: "crashed")
        #expect(retry.status == 200)
        #expect(try parse(retry)["id"]?.stringValue == "11111111-2222-4333-8444-555555555555")
        #expect(try parse(retry)["status"]?.stringValue == "PENDING")
        #expect(try count("orders") == 1)
        #expect(post("/orders", order, key: "crashed").header("Idempotent-Replayed") == "true")
    }

    @Test func keysArePurgedAfterTheirLifetime() throws {
        #expect(post("/orders", order, key: "old").status == 200)
        let service = IdempotencyService(store: SQLIdempotencyStore(connection: connection), clock: clock)
        clock.advance(by: 3_600)
        #expect(try service.purge(olderThan: 86_400) == 0)
        clock.advance(by: 86_400)
        #expect(try service.purge(olderThan: 86_400) == 1)
        #expect(post("/orders", order, key: "old").header("Idempotent-Replayed") == nil)
    }

    /// No orphans: an order still CREATED after the grace period ends SESSION_FAILED.
    @Test func interruptedCreatesAreGivenUp() throws {
        let orders = SQLOrderStore(connection: connection)
        let service = OrderService(store: orders, gateway: gateway, routes: OrderReturnURLs(publicBaseURL: "http://s"), clock: clock, log: testLog)
        let now = clock.now().epochMilliseconds
        try orders.insert(Order(id: "o-1", createdAt: now, updatedAt: now, amount: 1, currency: "NOK", receipt: nil, status: .created))
        #expect(post("/orders", order, key: nil).status == 200)  // PENDING: not touched
        clock.advance(by: 30)
        #expect(try service.failInterruptedCreates(olderThan: 60) == 0)
        clock.advance(by: 31)
        #expect(try service.failInterruptedCreates(olderThan: 60) == 1)
        #expect(try orders.order(id: "o-1")?.status == .sessionFailed)
        #expect(try connection.query("SELECT status FROM orders").compactMap { $0[0].string }.sorted() == ["PENDING", "SESSION_FAILED"])
    }
}

extension SQLValue {
    var blob: [UInt8]? {
        if case .blob(let bytes) = self { return bytes }
        return nil
    }
}

/// A key whose release failed (the database went away as its request failed) is given back
/// once the store answers again, instead of looking in flight for the whole lease.
@Suite struct UnreleasedKeyTests {
    /// The SQLite store, refusing to release while `down`.
    final class FlakyStore: IdempotencyStore, @unchecked Sendable {
        let inner: SQLIdempotencyStore<Connection>
        var down = false
        /// The next claim commits and then reports a broken connection (a cut-off COMMIT).
        var claimCutOff = false
        init(_ inner: SQLIdempotencyStore<Connection>) { self.inner = inner }
        struct Unreachable: Error {}
        func claim(_ record: IdempotencyRecord) throws -> IdempotencyRecord? {
            let existing = try inner.claim(record)
            if claimCutOff { claimCutOff = false; throw Unreachable() }
            return existing
        }
        func takeOver(scope: String, key: String, from previousOwner: String?, to owner: String, leaseUntil: Int64) throws -> Bool {
            try inner.takeOver(scope: scope, key: key, from: previousOwner, to: owner, leaseUntil: leaseUntil)
        }
        func complete(scope: String, key: String, response: StoredResponse) throws { try inner.complete(scope: scope, key: key, response: response) }
        func release(scope: String, key: String, owner: String) throws {
            if down { throw Unreachable() }
            try inner.release(scope: scope, key: key, owner: owner)
        }
        func purge(createdBefore cutoff: Int64) throws -> Int { try inner.purge(createdBefore: cutoff) }
    }

    @Test func aKeyTheOutageKeptIsGivenBackOnceTheStoreAnswers() throws {
        let store = FlakyStore(SQLIdempotencyStore(connection: try temporaryDatabase()))
        // A set of its own: another test's claim, on another database, must not take these keys.
        let service = IdempotencyService(store: store, clock: ManualClock(Date(timeIntervalSince1970: 1_800_000_000)), unreleased: UnreleasedKeys())
        let scope = "unreleased-\(UUID().uuidString)"
        guard case .run(let link) = try service.begin(scope: scope, key: "k", fingerprint: "f") else { Issue.record("not run"); return }
        store.down = true
        #expect(throws: FlakyStore.Unreachable.self) { try service.release(link) }
        #expect(service.hasUnreleased)
        // While the store cannot take it back, the key stays in flight.
        #expect(try service.begin(scope: scope, key: "k", fingerprint: "f") == .inFlight)
        store.down = false
        guard case .run(let again) = try service.begin(scope: scope, key: "k", fingerprint: "f") else { Issue.record("still held"); return }
        #expect(again.owner != link.owner, "each claim holds the key under a mark of its own")

        // A claim whose COMMIT was cut off (it was made, the caller never learned it) is given back too.
        store.claimCutOff = true
        #expect(throws: FlakyStore.Unreachable.self) { try service.begin(scope: scope, key: "cut", fingerprint: "f") }
        guard case .run = try service.begin(scope: scope, key: "cut", fingerprint: "f") else { Issue.record("cut-off claim still held"); return }
        // Giving back one claim never releases another claim of the same process.
        #expect(try service.begin(scope: scope, key: "cut", fingerprint: "f") == .inFlight)
    }
}
