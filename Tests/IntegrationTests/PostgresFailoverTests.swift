import Foundation
import HTTPKit
import Postgres
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// A PostgreSQL primary with a synchronous streaming standby, and the primary lost under
    /// load: the workers find the promoted standby by themselves (libpq's multi-host URL with
    /// `target_session_attrs=read-write`), and nothing any client saw acknowledged is lost.
    @Suite(.enabled(if: TestStore.integration == .postgres, "needs TEST_STORE=postgres (make test runs it)"))
    struct PostgresFailoverTests {
        /// What the clients saw.
        struct Seen {
            var created: [String: String] = [:]  // Idempotency-Key → order id, once answered 200
            var captured: [String] = []          // order ids whose capture was answered 200
            var refusals: [(status: Int, retryAfter: String?)] = []
            var acknowledged: Int { created.count + captured.count }
        }

        @Test func losingThePrimaryLosesNothingAcknowledged() throws {
            let base = try #require(TestPostgres.clusterDirectory) + "-failover-\(UUID().uuidString.prefix(6))"
            let (first, second) = ("\(base)-a", "\(base)-b")
            let (firstPort, secondPort) = (try StackHarness.freePort(), try StackHarness.freePort())
            _ = try PostgresCluster.start(directory: first, port: firstPort, replicated: true)
            defer {
                for directory in [first, second] {
                    PostgresCluster.stop(directory: directory)
                    try? FileManager.default.removeItem(atPath: directory)
                }
            }
            try PostgresCluster.standby(directory: second, primaryPort: firstPort, port: secondPort)
            let primary = PostgresConnection(url: "postgres://payments@127.0.0.1:\(firstPort)/postgres")
            _ = try primary.query("ALTER SYSTEM SET synchronous_standby_names = '*'", [], prepared: false)
            _ = try primary.query("SELECT pg_reload_conf()", [], prepared: false)
            let url = "postgres://payments@127.0.0.1:\(firstPort),127.0.0.1:\(secondPort)/postgres?target_session_attrs=read-write"

            try StackHarness.withStack(workers: 2, threads: 4, workerEnvironment: ["DATABASE_URL": url]) { stack, shop in
                // Every commit waits for the standby from here on.
                #expect(shop.eventually {
                    (try? primary.query("SELECT sync_state FROM pg_stat_replication", [], prepared: false).first?.get(at: 0) as String?) == "sync"
                })
                primary.close()
                let clients = 4
                let paid = try (0..<clients * 3).map { _ in try LifecycleTests.paidOrder(shop).id }
                let seen = Mutex(Seen())
                let promoted = Atomic<Bool>(false)
                let afterPromotion = Mutex([Int](repeating: 0, count: clients))
                let done = Atomic<Bool>(false)
                let load = DispatchGroup()
                for client in 0..<clients {
                    load.enter()
                    Thread.detachNewThread {
                        defer { load.leave() }
                        var captures = paid[(client * 3)..<(client * 3 + 3)].makeIterator()
                        var attempt = 0
                        while !done.load(ordering: .relaxed) {
                            attempt += 1
                            // Alternately a create and (while it has paid orders left) a capture,
                            // each retried with its own Idempotency-Key until answered 200.
                            let capture = attempt % 2 == 0 ? captures.next() : nil
                            let key = "failover-\(client)-\(attempt)"
                            while !done.load(ordering: .relaxed) {
                                let response = capture == nil
                                    ? try? shop.http.postJSON("/orders", #"{"amount": 700, "currency": "NOK"}"#, headers: ["Idempotency-Key": key])
                                    : try? shop.http.send("POST", "/orders/\(capture!)/capture", headers: ["Idempotency-Key": key])
                                guard let response else { continue }
                                if response.status == 200 {
                                    seen.withLock {
                                        if let capture { $0.captured.append(capture) } else { $0.created[key] = response.json["id"]?.stringValue }
                                    }
                                    if promoted.load(ordering: .relaxed) { afterPromotion.withLock { $0[client] += 1 } }
                                    break
                                }
                                seen.withLock { $0.refusals.append((response.status.code, response.header("Retry-After"))) }
                                usleep(20_000)
                            }
                        }
                    }
                }
                defer {
                    done.store(true, ordering: .relaxed)
                    load.wait()
                }
                // Barriers, not durations: the primary dies once clients have been acknowledged,
                // the standby is promoted once a client has been refused.
                #expect(shop.eventually(timeout: 30) { seen.withLock { $0.acknowledged } >= 12 })
                try PostgresCluster.kill(directory: first)
                #expect(shop.eventually(timeout: 30) { seen.withLock { !$0.refusals.isEmpty } })
                try PostgresCluster.promote(directory: second)
                promoted.store(true, ordering: .relaxed)
                // Served again, by the same workers, without a restart or a new setting.
                #expect(shop.eventually(timeout: 60) { afterPromotion.withLock { $0.allSatisfy { $0 >= 3 } } })
                done.store(true, ordering: .relaxed)
                load.wait()

                let result = seen.withLock { $0 }
                // 503 while no primary exists; 409 for a key whose first attempt the outage cut
                // short, until its process gives it back: both say when to retry.
                #expect(result.refusals.allSatisfy { [503, 409].contains($0.status) && $0.retryAfter != nil },
                        "\(Dictionary(grouping: result.refusals.map(\.status), by: { $0 }).mapValues(\.count))")
                let db = try stack.database()  // both hosts in the URL: the new primary answers
                #expect(try db.text("SELECT pg_is_in_recovery()::text") == "false")
                #expect(try db.integer("SELECT count(*) FROM orders WHERE status = 'CREATED'") == 0)
                // Every acknowledged order is there with its history, and no key made two.
                for (key, id) in result.created {
                    #expect(try db.text("SELECT status FROM orders WHERE id = $1", [id]) == "PENDING", "\(key)")
                    #expect(try db.integer("SELECT count(*) FROM order_events WHERE order_id = $1", [id]) ?? 0 >= 2, "\(key)")
                    #expect(try db.text("SELECT resource_id FROM idempotency_keys WHERE key = $1", [key]) == id, "\(key)")
                }
                let unpaidOrders = try #require(try db.integer("SELECT count(*) FROM orders WHERE status = 'PENDING'"))
                #expect(unpaidOrders == Int64(result.created.count), "a retried key made a second order")
                // Every acknowledged capture is there, once, on our side and on Dintero's.
                for id in result.captured {
                    #expect(try db.text("SELECT status FROM orders WHERE id = $1", [id]) == "CAPTURED")
                    #expect(try db.integer("SELECT count(*) FROM order_operations WHERE order_id = $1 AND kind = 'capture' AND state = 'succeeded'", [id]) == 1)
                    let transaction = try #require(try db.text("SELECT transaction_id FROM orders WHERE id = $1", [id]))
                    #expect(try LifecycleTests.sandboxEvents(shop, transaction, named: "CAPTURE").count == 1)
                }

                // The lost primary comes back only as a standby of the new one (rewound onto its
                // timeline): read-only, so target_session_attrs never sends a write to it.
                try PostgresCluster.rejoin(directory: first, primaryPort: secondPort, port: firstPort)
                let former = PostgresConnection(url: "postgres://payments@127.0.0.1:\(firstPort)/postgres")
                defer { former.close() }
                #expect(try former.query("SELECT pg_is_in_recovery()::text", [], prepared: false).first?.get(at: 0) as String? == "true")
                let later = try shop.createOrder()
                let laterID = try #require(later["id"]?.stringValue)
                #expect(try db.text("SELECT status FROM orders WHERE id = $1", [laterID]) == "PENDING")
                #expect(shop.eventually {
                    (try? former.query("SELECT count(*)::text FROM orders WHERE id = $1", [.text(laterID)], prepared: false).first?.get(at: 0) as String?) == "1"
                })
            }
        }
    }
}

extension PostgresCluster {
    /// Starts a primary that streams to standbys (`postgres.sh start … replicated`).
    static func start(directory: String, port: Int, replicated: Bool) throws -> String {
        try run([script, "start", directory, String(port)] + (replicated ? ["replicated"] : []))
        return "postgres://payments@127.0.0.1:\(port)/postgres"
    }

    /// A streaming standby of the primary on `primaryPort` (pg_basebackup -R), started.
    static func standby(directory: String, primaryPort: Int, port: Int) throws {
        try run([script, "standby", directory, String(primaryPort), String(port)])
    }

    /// Promotes the standby in `directory`.
    static func promote(directory: String) throws { try run([script, "promote", directory]) }

    /// SIGKILL of the postmaster in `directory`.
    static func kill(directory: String) throws { try run([script, "kill", directory]) }

    /// The killed former primary in `directory`, rewound and started as a standby of `primaryPort`.
    static func rejoin(directory: String, primaryPort: Int, port: Int) throws {
        try run([script, "rejoin", directory, String(primaryPort), String(port)])
    }
}
