import Dintero
import Foundation
import HTTPKit
import ServiceSupport
import SQLite
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// Issue 7's reproducers through nginx: authentication, verified cancels, listing every
    /// order, strict input, and Dintero error mapping.
    @Suite struct MerchantSafetyTests {

        /// Every body and query is strict on both APIs: a cancel takes no fields (as a void),
        /// a malformed percent escape is a 400, and /payments refuses unknown fields as /orders
        /// does, each naming the field in that API's error shape.
        @Test func strictBodiesAndQueriesOnBothAPIs() throws {
            try StackHarness.withStack { stack, shop in
                let id = try #require(try shop.createOrder()["id"]?.stringValue)
                let cancels: [(body: String, type: String, status: Int, field: String)] = [
                    (#"{"amount":"#, "application/json", 400, "body"),
                    ("cancel please", "text/plain", 415, "body"),
                    (#"{"reason":"x"}"#, "application/json", 400, "reason"),
                ]
                for item in cancels {
                    let response = try shop.http.postJSON("/orders/\(id)/cancel", item.body, contentType: item.type)
                    #expect(response.status == item.status, "\(item.body)")
                    #expect(response.json["field"]?.stringValue == item.field, "\(item.body): \(response.text)")
                }
                #expect(try shop.status(id) == "PENDING")
                #expect(try shop.http.postJSON("/orders/\(id)/cancel", "{}").json["status"]?.stringValue == "CANCELLED")

                // Raw requests: an HTTP client library would re-encode the malformed escapes.
                for query in ["receipt=%zz", "receipt=%", "receipt=ab%4", "receipt=%+1", "status=%zz"] {
                    for path in ["/orders", "/payments"] {
                        let raw = "GET \(path)?\(query) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                        let response = try EdgeTests.raw(Array(raw.utf8), port: stack.configuration.port)
                        #expect(response.status.hasPrefix("HTTP/1.1 400"), "\(path)?\(query): \(response.status)")
                        let field = try? JSONValue.parse(response.body)["field"]?.stringValue
                        #expect(field == String(query.prefix { $0 != "=" }), "\(path)?\(query): \(response.body)")
                    }
                }
                #expect(try shop.http.get("/orders?receipt=a%20b").status == 200)

                let unknownPayment = try shop.http.postJSON("/payments", #"{"reference":"R","amount":"100","returnUrl":"https://shop.example/r","state":"OK"}"#)
                #expect(unknownPayment.status == 400)
                #expect(unknownPayment.json["message"]?.stringValue?.contains("state") == true, "\(unknownPayment.text)")
                let payment = try shop.http.postJSON("/payments", #"{"reference":"R","amount":"100","returnUrl":"https://shop.example/r"}"#)
                let txid = try #require(payment.json["transactionId"]?.stringValue)
                let card = try shop.http.postJSON("/payments/\(txid)/card", #"{"cardno":"4242424242424242","cvc":"123","enddate":"12/30","amount":"1"}"#)
                #expect(card.status == 400)
                #expect(card.json["message"]?.stringValue?.contains("amount") == true, "\(card.text)")
                let form = try shop.http.postForm("/payments/\(txid)/card", [("cardno", "4242424242424242"), ("cvc", "123"), ("enddate", "12/30"), ("state", "OK")])
                #expect(form.status == 400)
                // Past the worker's body limit (16 KiB; nginx allows 64) every route answers 413,
                // the form path too, never reading a cut or spliced body.
                let padding = String(repeating: "x", count: 20_000)
                let large = try shop.http.postForm("/payments/\(txid)/card", [("cardno", "4242424242424242"), ("cvc", "123"), ("enddate", "12/30"), ("pad", padding)])
                #expect(large.status == 413)
                #expect(large.json["field"]?.stringValue == "body", "\(large.text)")
                #expect(try shop.http.postJSON("/orders/\(id)/cancel", #"{"pad":"\#(padding)"}"#).status == 413)
                // Nothing was charged by the refused submissions.
                #expect(try stack.database().rows("SELECT state FROM payments WHERE transaction_id = $1", [txid]) == [["init"]])
            }
        }

        /// Reproducer 2: `error=cancelled` for a PENDING order whose session is still open
        /// changes nothing; after the shopper really cancels on the hosted page, it does.
        @Test func cancelsAreVerifiedWithTheSession() throws {
            try StackHarness.withStack { stack, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                for path in ["redirect", "payment-redirect", "callback"] {
                    let forged = try shop.http.get("/orders/\(id)/\(path)?error=cancelled")
                    #expect(forged.status == 422)
                    #expect(forged.json["verified"] == .bool(false))
                }
                #expect(try shop.http.get("/orders/\(id)/redirect?error=anything").status == 422)
                let page = try shop.http.get("/orders/\(id)/redirect?error=cancelled", accept: "text/html")
                #expect(page.text.contains("could not confirm"))
                #expect(try shop.status(id) == "PENDING")

                let redirect = try shop.checkout(order, outcome: nil)
                let confirmed = try shop.http.get(redirect)
                #expect(confirmed.status == 200)
                #expect(confirmed.json["verified"] == .bool(true))
                #expect(try shop.status(id) == "CANCELLED")
                // Reopening the cancelled session says it was cancelled.
                let link = try #require(order["links"]?.arrayValue?.first?["href"]?.stringValue)
                #expect(try shop.http.get(link, accept: "text/html").text.contains("cancelled"))
            }
        }

        /// Reproducer 4: more orders than the largest page; walking the cursor returns each
        /// exactly once; filters and strict parameters.
        @Test func everyOrderIsListableOnce() throws {
            // About listing, not load shedding: every thread may call Dintero.
            try StackHarness.withStack(workers: 2, threads: 4, workerEnvironment: ["OUTBOUND_CONCURRENCY": "4"]) { stack, shop in
                let total = 1_055
                DispatchQueue.concurrentPerform(iterations: 8) { worker in
                    for index in stride(from: worker, to: total, by: 8) {
                        _ = try? shop.http.postJSON("/orders", #"{"amount": \#(100 + index), "currency": "\#(index % 5 == 0 ? "EUR" : "NOK")", "receipt": "r-\#(index)"}"#)
                    }
                }
                var seen: [String] = []
                var target: String? = "/orders?limit=1000"
                var pages = 0
                while let next = target {
                    let page = try shop.http.get(next)
                    #expect(page.status == 200)
                    seen += (page.json["orders"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                    pages += 1
                    if let link = page.header("Link") {
                        #expect(link.hasSuffix(#">; rel="next""#))
                        let cursor = try #require(page.header("X-Next-Cursor"))
                        #expect(link.contains("cursor=\(cursor)"))
                        target = String(link.dropFirst().prefix { $0 != ">" })
                    } else {
                        target = nil
                    }
                }
                #expect(pages == 2)
                #expect(seen.count == total)
                #expect(Set(seen).count == total)
                #expect(try stack.database().integer("SELECT count(*) FROM orders") == Int64(total))

                // Default page and filters.
                #expect(try shop.http.get("/orders").json["orders"]?.arrayValue?.count == 100)
                let euros = try shop.http.get("/orders?currency=EUR&limit=1000").json["orders"]?.arrayValue ?? []
                #expect(euros.count == 211)
                #expect(euros.allSatisfy { $0["currency"]?.stringValue == "EUR" })
                let range = try shop.http.get("/orders?minAmount=100&maxAmount=109&status=pending").json["orders"]?.arrayValue ?? []
                #expect(range.count == 10)
                let receipt = try shop.http.get("/orders?receipt=r-7").json["orders"]?.arrayValue ?? []
                #expect(receipt.map { $0["receipt"]?.stringValue } == ["r-7"])
                let today = String(Timestamp.iso8601(epochMilliseconds: Date().epochMilliseconds).prefix(10))
                #expect(try shop.http.get("/orders?minDate=\(today)&limit=1").json["orders"]?.arrayValue?.count == 1)
                #expect(try shop.http.get("/orders?maxDate=2000-01-01").json["orders"]?.arrayValue?.isEmpty == true)

                // Strict parameters.
                for bad in ["offset=5", "cursor=abc", "status=PAID", "limit=%2B5", "limit=0", "limit=1001", "minAmount=-1",
                            "minAmount=5&maxAmount=1", "limit=5&limit=6", "currency=nok", "minDate=yesterday"] {
                    let response = try shop.http.get("/orders?\(bad)")
                    #expect(response.status == 400, "\(bad)")
                    #expect(response.json["field"]?.stringValue?.isEmpty == false, "\(bad)")
                }
                #expect(try shop.http.get("/orders//").status == 404)
                #expect(try shop.http.get("/orders/").status == 404)
            }
        }

        /// Reproducer 5: bytes that are not UTF-8 in a JSON body, a form field or a query value
        /// are refused naming the field, and nothing is stored.
        @Test func invalidUTF8IsRefusedAndNothingStored() throws {
            try StackHarness.withStack { stack, shop in
                let db = try stack.database()
                let bodies: [(prefix: String, bytes: [UInt8], suffix: String, field: String)] = [
                    (#"{"amount": 100, "currency": "NOK", "receipt": "ab"#, [0xFF], #""}"#, "receipt"),
                    (#"{"amount": 100, "currency": "NOK", "receipt": ""#, [0xC0, 0xAF], #""}"#, "receipt"),  // overlong '/'
                    (#"{"amount": 100, "currency": "NOK", "receipt": ""#, [0xED, 0xA0, 0x80], #""}"#, "receipt"),  // encoded surrogate
                ]
                for body in bodies {
                    let response = try shop.http.send("POST", "/orders", body: Array(body.prefix.utf8) + body.bytes + Array(body.suffix.utf8),
                                                      headers: ["Content-Type": "application/json"])
                    #expect(response.status == 400)
                    #expect(response.json["field"]?.stringValue == body.field)
                }
                let lone = try shop.http.postJSON("/orders", #"{"amount": 100, "currency": "NOK", "receipt": "\udc00"}"#)
                #expect(lone.status == 400)
                #expect(try db.integer("SELECT count(*) FROM orders") == 0)

                for (field, bytes) in [("reference", [UInt8(0xFF)]), ("returnUrl", [0xC0, 0x80])] {
                    var json = Array(#"{"reference": "R"#.utf8)
                    if field == "reference" { json += bytes }
                    json += Array(#"", "amount": "100", "returnUrl": "http://127.0.0.1:9/x"#.utf8)
                    if field == "returnUrl" { json += bytes }
                    json += Array(#""}"#.utf8)
                    let response = try shop.http.send("POST", "/payments", body: json, headers: ["Content-Type": "application/json"])
                    #expect(response.status == 400)
                    #expect(response.json["field"]?.stringValue == field)
                }
                #expect(try db.integer("SELECT count(*) FROM payments") == 0)

                let query = try shop.http.get("/orders?receipt=ab%FF")
                #expect(query.status == 400)
                #expect(query.json["field"]?.stringValue == "receipt")
                let payment = try shop.http.postJSON("/payments", #"{"reference": "R", "amount": "100", "returnUrl": "http://127.0.0.1:9/"}"#)
                let txid = try #require(payment.json["transactionId"]?.stringValue)
                let form = try shop.http.send("POST", "/payments/\(txid)/card", body: Array("cardno=4242%FF&cvc=123&enddate=12/39".utf8),
                                              headers: ["Content-Type": "application/x-www-form-urlencoded"])
                #expect(form.status == 400)
                #expect(form.json["field"]?.stringValue == "cardno")
                #expect(try db.text("SELECT state FROM payments WHERE transaction_id = $1", [txid]) == "init")
            }
        }

        /// Reproducer 6: a malformed transaction id is 400 (not "retry"); a Dintero 4xx on
        /// verification is 422; Dintero's error text (markup, internal names) never reaches the
        /// body but is logged escaped.
        @Test func dinteroErrorsAreMappedAndNeverEchoed() throws {
            try StackHarness.withStack { stack, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                let malformed = try shop.http.get("/orders/\(id)/callback?transaction_id=%00")
                #expect(malformed.status == 400)
                #expect(malformed.json["field"]?.stringValue == "transaction_id")

                let injected = #"{"error":{"code":"bad","message":"<script>alert(1)</script> from db-internal-7.corp\nforged line"}}"#
                try shop.injectFault(#"{"endpoint":"transactions","status":400,"count":1,"body":\#(JSONValue.string(injected).serializedString)}"#)
                let rejected = try shop.http.get("/orders/\(id)/callback?transaction_id=T1.x")
                #expect(rejected.status == 422)
                #expect(!rejected.text.contains("script") && !rejected.text.contains("db-internal"))

                try shop.injectFault(#"{"endpoint":"sessions","status":400,"count":1,"body":\#(JSONValue.string(injected).serializedString)}"#)
                let create = try shop.http.postJSON("/orders", #"{"amount": 1000, "currency": "NOK"}"#)
                #expect(create.status == 502)
                #expect(create.json["detail"]?.stringValue?.contains("(400)") == true)
                #expect(!create.text.contains("script") && !create.text.contains("db-internal"))

                try shop.injectFault(#"{"endpoint":"transactions","status":503,"count":1}"#)
                // Dintero unavailable while verifying its callback: 503 with Retry-After, so it calls again.
                let unavailable = try shop.http.get("/orders/\(id)/callback?transaction_id=T1.x")
                #expect(unavailable.status == 503 && unavailable.header("Retry-After") == "2")
                #expect(try shop.status(id) == "PENDING")

                stack.stop()
                let log = try String(contentsOfFile: stack.path("payments-worker.log"), encoding: .utf8)
                #expect(log.contains("db-internal-7.corp\\u{a}forged line"))
                #expect(!log.contains("\nforged line"))
            }
        }

        /// Reproducer 3 through nginx: the same Idempotency-Key while the first request runs is
        /// 409; after the worker is SIGKILLed mid-create (client sees 503), the retry with the
        /// same key completes that same order; a further repeat is replayed. One order in all.
        @Test func anIdempotentCreateSurvivesAWorkerCrash() throws {
            try StackHarness.withStack(workers: 1, threads: 4, workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "10", "PAYMENTS_API_KEY": "k-live"]) { stack, shop in
                let http = shop.http.authorized("k-live")
                try shop.injectFault(#"{"endpoint":"sessions","hold":true,"count":1}"#)  // answered never: the worker dies first
                let body = #"{"amount": 4242, "currency": "NOK", "receipt": "crash"}"#
                let headers: HTTPFields = ["Idempotency-Key": "crash-key-1"]
                let first = Mutex<Int?>(nil)
                Thread.detachNewThread {
                    let response = try? http.postJSON("/orders", body, headers: headers)
                    first.withLock { $0 = response?.status.code ?? -1 }
                }
                let db = try stack.database()
                #expect(shop.eventually(timeout: 5) { (try? db.integer("SELECT count(*) FROM orders WHERE status = 'CREATED'")) == 1 })

                let busy = try http.postJSON("/orders", body, headers: headers)
                #expect(busy.status == 409)
                #expect(busy.header("Retry-After") == "1")

                let supervisor = try #require(stack.pids["payments-worker"])
                let workers = StackHarness.children(of: supervisor)
                #expect(workers.count == 1)
                for pid in workers { kill(pid, SIGKILL) }
                #expect(shop.eventually(timeout: 10) { first.withLock { $0 } != nil })
                #expect(first.withLock { $0 } == 503)
                #expect(shop.eventually(timeout: 10) {
                    let now = StackHarness.children(of: supervisor)
                    return now.count == 1 && Set(now) != Set(workers)
                })

                let retry = try http.postJSON("/orders", body, headers: headers)
                #expect(retry.status == 200)
                #expect(retry.json["status"]?.stringValue == "PENDING")
                #expect(retry.header("Idempotent-Replayed") == nil)
                let stored = try #require(try db.text("SELECT id FROM orders"))
                #expect(retry.json["id"]?.stringValue == stored)
                let replay = try http.postJSON("/orders", body, headers: headers)
                #expect(replay.header("Idempotent-Replayed") == "true")
                #expect(replay.json == retry.json)
                #expect(try db.integer("SELECT count(*) FROM orders") == 1)
            }
        }

        /// No orphans: a create interrupted by a crash, with no retry, is resolved by the
        /// supervisor's sweeper within the configured time.
        @Test func anInterruptedCreateIsSweptWithoutARetry() throws {
            try StackHarness.withStack(workers: 1, threads: 2, workerEnvironment: [
                "DINTERO_TIMEOUT_SECONDS": "10", "SWEEP_INTERVAL_SECONDS": "0.2", "STALE_CREATE_SECONDS": "1",
            ]) { stack, shop in
                try shop.injectFault(#"{"endpoint":"sessions","hold":true,"count":1}"#)  // answered never: the worker dies first
                Thread.detachNewThread { _ = try? shop.http.postJSON("/orders", #"{"amount": 100, "currency": "NOK"}"#) }
                let db = try stack.database()
                #expect(shop.eventually(timeout: 5) { (try? db.integer("SELECT count(*) FROM orders WHERE status = 'CREATED'")) == 1 })
                let supervisor = try #require(stack.pids["payments-worker"])
                for pid in StackHarness.children(of: supervisor) { kill(pid, SIGKILL) }
                #expect(shop.eventually(timeout: 10) {
                    (try? db.text("SELECT status FROM orders")) == "SESSION_FAILED"
                })
                let event = try db.rows("SELECT source, detail FROM order_events WHERE to_status = 'SESSION_FAILED'").first
                #expect(event?[0] == "sweeper")
            }
        }
    }
}
