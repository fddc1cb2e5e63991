import Foundation
import HTTPKit
import LocalStack
import SQLite
import Testing
import TestSupport

extension IntegrationSuite {
    /// The operator endpoints through nginx: liveness, readiness, status and Prometheus metrics
    /// for the whole service, whichever worker answers.
    @Suite struct OperationsTests {
        /// Every sample line of a Prometheus text page, as series → value; fails the test on a
        /// line that is not `series value` or a `#` comment.
        static func samples(_ page: String) -> [String: Double] {
            var samples: [String: Double] = [:]
            for line in page.split(separator: "\n") where !line.hasPrefix("#") {
                let match = line.wholeMatch(of: /([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)/)
                #expect(match != nil, "not a sample line: \(line)")
                if let match, let value = Double(match.2) ?? (match.2 == "+Inf" ? .infinity : nil) {
                    samples[String(match.1)] = value
                }
            }
            return samples
        }

        static func metrics(_ shop: Shop) throws -> [String: Double] {
            let response = try shop.http.get("/metrics", accept: "text/plain")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            return samples(response.text)
        }

        @Test func healthReadinessAndStatusDescribeTheWholeService() throws {
            try StackHarness.withStack(workers: 2, threads: 3) { stack, shop in
                let health = try shop.http.get("/healthz")
                #expect(health.status == 200)
                #expect(health.json["status"]?.stringValue == "ok")

                let supervisor = try #require(stack.pids["payments-worker"])
                let workers = Set(StackHarness.children(of: supervisor).map(Int.init))
                // Both workers publish a report within a second of starting.
                #expect(shop.eventually(timeout: 5) { (try? shop.http.get("/readyz"))?.json["status"]?.stringValue == "ready" })
                let ready = try shop.http.get("/readyz")
                #expect(ready.status == 200)
                #expect(ready.json["checks"]?["database"]?["status"]?.stringValue == "ok")
                #expect(ready.json["checks"]?["workers"]?["running"] == .int(2))
                #expect(ready.json["checks"]?["dintero"]?["circuit"]?.stringValue == "closed")

                for _ in 0..<5 { _ = try shop.http.get("/orders") }
                // Other workers' figures are at most a second old.
                #expect(shop.eventually(timeout: 5) { ((try? shop.http.get("/status"))?.json["accepted_requests"]?.integerValue ?? 0) >= 6 })
                let status = try shop.http.get("/status").json
                #expect(status["supervisor"]?["pid"] == .int(Int(supervisor)))
                #expect(status["workers"]?["running"] == .int(2))
                #expect(status["threads"]?["total"] == .int(6))
                #expect(status["threads"]?["busy"]?.integerValue.map { (1...6).contains($0) } == true)
                #expect(status["listen_queue"]?["limit"] == .int(1024))
                guard case .array(let processes)? = status["processes"] else { Issue.record("no processes"); return }
                #expect(Set(processes.compactMap { $0["pid"]?.integerValue.map(Int.init) }) == workers)
            }
        }

        /// Counters are the sum over the workers, by route and status, with latency histograms;
        /// a worker that dies takes none of the counted requests with it.
        @Test func metricsCountEveryRequestAndSurviveAWorkerRestart() throws {
            try StackHarness.withStack(workers: 2, threads: 2) { stack, shop in
                for _ in 0..<3 { _ = try shop.createOrder() }
                for _ in 0..<5 { #expect(try shop.http.get("/orders/no-such-order").status == 404) }
                let notFound = #"payments_http_requests_total{method="GET",route="/orders/:id",status="404"}"#
                let created = #"payments_http_requests_total{method="POST",route="/orders",status="200"}"#
                // Reports are at most a second old.
                #expect(shop.eventually(timeout: 5) { (try? Self.metrics(shop))?[notFound] == 5 })
                var metrics = try Self.metrics(shop)
                #expect(metrics[created] == 3)
                #expect(metrics[#"payments_http_request_duration_seconds_count{method="GET",route="/orders/:id"}"#] == 5)
                #expect(metrics[#"payments_http_request_duration_seconds_bucket{method="GET",route="/orders/:id",le="+Inf"}"#] == 5)
                #expect((metrics[#"payments_outbound_requests_total{target="dintero",outcome="ok"}"#] ?? 0) >= 3)
                #expect(metrics[#"payments_workers{state="running"}"#] == 2)
                #expect(metrics[#"payments_worker_threads{state="idle"}"#].map { $0 <= 3 } == true)
                if TestStore.integration == .sqlite { #expect((metrics["payments_sqlite_wal_bytes"] ?? 0) > 0) }
                #expect(metrics["payments_worker_restarts_total"] == 0)

                let supervisor = try #require(stack.pids["payments-worker"])
                let before = StackHarness.children(of: supervisor)
                kill(try #require(before.first), SIGKILL)
                #expect(shop.eventually(timeout: 10) {
                    let now = StackHarness.children(of: supervisor)
                    let metrics = try? Self.metrics(shop)
                    return now.count == 2 && Set(now) != Set(before) && metrics?[#"payments_workers{state="running"}"#] == 2
                        && metrics?["payments_worker_restarts_total"] == 1
                })
                metrics = try Self.metrics(shop)
                #expect(metrics[notFound] == 5, "the killed worker's requests are still counted")
                #expect(metrics[created] == 3)
            }
        }

        /// Business metrics: orders created and their status changes, operations by outcome,
        /// amounts by currency, verification refusals, card charges by outcome.
        @Test func businessMetricsCountWhatHappened() throws {
            try StackHarness.withStack(workers: 1, threads: 2, sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { stack, shop in
                let (id, _) = try LifecycleTests.paidOrder(shop, amount: 20_000)
                #expect(try shop.http.postJSON("/orders/\(id)/capture", #"{"amount": 20000}"#).status == 200)
                #expect(try shop.http.postJSON("/orders/\(id)/refund", #"{"amount": 5000}"#).status == 200)
                let other = try #require(try shop.createOrder()["id"]?.stringValue)
                let foreign = try #require(try shop.http.postJSON("\(shop.sandbox)/__sandbox/transactions",
                                                                 #"{"merchant_reference": "\#(other)", "amount": 29900, "currency": "NOK"}"#).json["id"]?.stringValue)
                #expect(try shop.http.get("/orders/\(other)/redirect?transaction_id=\(foreign)").status == 422)
                for card in ["4242424242424242", "4000000000000002"] {
                    let payment = try shop.http.postJSON("/payments", #"{"reference":"R","amount":"100","returnUrl":"https://shop.example/r"}"#)
                    let txid = try #require(payment.json["transactionId"]?.stringValue)
                    #expect(try shop.http.postJSON("/payments/\(txid)/card", #"{"cardno":"\#(card)","cvc":"123","enddate":"12/30"}"#).status == 200)
                }
                let expected: [String: Double] = [
                    #"payments_orders_created_total{currency="NOK"}"#: 2,
                    #"payments_order_status_changes_total{to="AUTHORIZED"}"#: 1,
                    #"payments_order_status_changes_total{to="PARTIALLY_REFUNDED"}"#: 1,
                    #"payments_order_operations_total{kind="capture",outcome="succeeded"}"#: 1,
                    #"payments_order_operations_total{kind="refund",outcome="succeeded"}"#: 1,
                    #"payments_order_operation_amount_minor_total{kind="capture",currency="NOK"}"#: 20_000,
                    #"payments_order_operation_amount_minor_total{kind="refund",currency="NOK"}"#: 5_000,
                    #"payments_verification_refusals_total{source="redirect"}"#: 1,
                    #"payments_card_payments_total{outcome="approved"}"#: 1,
                    #"payments_card_payments_total{outcome="declined"}"#: 1,
                ]
                // (A worker's figures are published once a second.)
                var last: [String: Double] = [:]
                let seen = shop.eventually(timeout: 10) {
                    last = (try? Self.metrics(shop)) ?? [:]
                    return expected.allSatisfy { last[$0.key] == $0.value }
                }
                #expect(seen, "\(expected.filter { last[$0.key] != $0.value }.map { "\($0.key): \(last[$0.key] ?? -1)" })")
            }
        }

        /// Readiness is a real write: while another connection holds the write lock past the
        /// busy timeout, /readyz says 503 and why; the waits show in the busy-retry counter.
        @Test(.enabled(if: TestStore.integration == .sqlite, "SQLite's file lock; PostgreSQL's outage is PostgresOutageTests"))
        func readinessFailsWhileTheDatabaseCannotBeWritten() throws {
            try StackHarness.withStack(workers: 1, threads: 2) { stack, shop in
                #expect(try shop.http.get("/readyz").status == 200)
                let blocker = try Connection(path: stack.databasePath)
                try blocker.execute("BEGIN IMMEDIATE")
                let blocked = try shop.http.get("/readyz")
                try blocker.execute("ROLLBACK")
                #expect(blocked.status == 503)
                #expect(blocked.json["status"]?.stringValue == "not_ready")
                #expect(blocked.json["checks"]?["database"]?["status"]?.stringValue == "failing")
                #expect(blocked.json["checks"]?["database"]?["detail"]?.stringValue?.contains("locked") == true, "\(blocked.text)")
                #expect(try shop.http.get("/readyz").status == 200)
                #expect((try Self.metrics(shop)["payments_sqlite_busy_retries_total"] ?? 0) > 10)
            }
        }

        /// The workers' outbound connections go through the URLSession fix: the first create's new
        /// connection to the sandbox has its left-over write watch dropped, and later creates on
        /// the kept-alive connection hand libcurl a few socket events each, not a busy loop's
        /// thousands (`URLSessionSocketFixTests` has the slow-answer case).
        @Test func outboundCallsGoThroughTheURLSessionFix() throws {
            try StackHarness.withStack(workers: 1, threads: 2) { _, shop in
                #expect(try shop.createOrder()["status"]?.stringValue == "PENDING")
                // Reports are published about once a second.
                #expect(shop.eventually(timeout: 4) {
                    ((try? Self.metrics(shop))?["payments_urlsession_dropped_write_watches_total"] ?? 0) >= 1
                })
                let before = try Self.metrics(shop)["payments_urlsession_socket_actions_total"] ?? 0
                let creates = 5.0
                for _ in 0..<Int(creates) {
                    #expect(try shop.createOrder()["status"]?.stringValue == "PENDING")
                }
                var after = before
                #expect(shop.eventually(timeout: 4) {
                    after = (try? Self.metrics(shop))?["payments_urlsession_socket_actions_total"] ?? before
                    return after >= before + creates
                }, "each create's session call is at least one socket event")
                #expect(after - before < creates * 20, "socket events for \(Int(creates)) creates: \(after - before)")
            }
        }

        /// Past `WAL_PAUSE_BYTES` the workers' writes pause, counted in the metrics; the creates
        /// still succeed. The checkpointer stays out of the way (a round a minute, a restart size
        /// of 1 GiB): a round that copied every frame would let the next write start the WAL
        /// again, and how many rounds fall between creates depends on the machine's load.
        @Test(.enabled(if: TestStore.integration == .sqlite, "SQLite's WAL"))
        func writesPauseWhileTheWALIsPastItsLimit() throws {
            try StackHarness.withStack(workers: 1, threads: 2, workerEnvironment: [
                "WAL_PAUSE_BYTES": "65536", "WAL_RESTART_BYTES": "1073741824", "WAL_CHECKPOINT_SECONDS": "60",
            ]) { stack, shop in
                let before = try Self.metrics(shop)["payments_sqlite_wal_pauses_total"] ?? 0
                for _ in 0..<8 {
                    #expect(try shop.createOrder()["status"]?.stringValue == "PENDING")
                }
                // The workers report their counters now and then: wait for the count, not a time.
                #expect(try shop.eventually(timeout: 30) { (try Self.metrics(shop)["payments_sqlite_wal_pauses_total"] ?? 0) > before + 4 })
            }
        }
    }
}
