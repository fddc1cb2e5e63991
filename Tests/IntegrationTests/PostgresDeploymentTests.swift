import Foundation
import HTTPKit
import LocalStack
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// Deployments only PostgreSQL allows: several hosts on one database, and a database that
    /// goes away and comes back. They run in the PostgreSQL pass of `make test`.
    @Suite(.enabled(if: TestStore.integration == .postgres, "needs TEST_STORE=postgres (make test runs it)"))
    struct PostgresDeploymentTests {
        /// Two supervisors, as two hosts, behind one nginx upstream and one PostgreSQL.
        @Test func twoHostsShareOneDatabaseAndOneSurvivesTheOther() throws {
            try StackHarness.withStack(workers: 2, threads: 8, hosts: 2, workerEnvironment: ["OUTBOUND_CONCURRENCY": "8"]) { stack, shop in
                let http = shop.http
                let total = 200, clients = 20
                let results = Mutex<(statuses: [Int], ids: Set<String>)>(([], []))
                DispatchQueue.concurrentPerform(iterations: clients) { client in
                    for index in 0..<(total / clients) {
                        let response = try? http.postJSON("/orders", #"{"amount": \#(100 + client * 100 + index), "currency": "NOK"}"#)
                        results.withLock {
                            $0.statuses.append(response?.status.code ?? -1)
                            if let id = response?.json["id"]?.stringValue { $0.ids.insert(id) }
                        }
                    }
                }
                let (statuses, ids) = results.withLock { $0 }
                #expect(statuses.count == total && statuses.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
                #expect(ids.count == total)
                let db = try stack.database()
                #expect(try db.integer("SELECT count(*) FROM orders") == Int64(total))
                #expect(try db.integer("SELECT count(*) FROM orders WHERE status = 'PENDING' AND session_url IS NOT NULL") == Int64(total))
                // Both hosts served creates (each logs its own requests).
                for host in ["payments-worker", "payments-worker-2"] {
                    let log = (try? String(contentsOfFile: stack.path("\(host).log"), encoding: .utf8)) ?? ""
                    let created = log.split(separator: "\n").filter { $0.contains("method=POST route=/orders status=200") }.count
                    #expect(created > 20, "\(host) created \(created) of \(total)")
                }

                // Host 2 dies (supervisor and workers, SIGKILL) while reads keep coming: nginx
                // passes an idempotent GET that cannot reach it to host 1.
                let someIDs = Array(ids.prefix(20))
                let readStatuses = Mutex<[Int]>([])
                let stop = Atomic<Bool>(false)
                let reader = DispatchGroup()
                for client in 0..<4 {
                    reader.enter()
                    Thread.detachNewThread {
                        var index = client
                        while !stop.load(ordering: .relaxed) {
                            let response = try? http.get("/orders/\(someIDs[index % someIDs.count])")
                            readStatuses.withLock { $0.append(response?.status.code ?? -1) }
                            index += 1
                        }
                        reader.leave()
                    }
                }
                usleep(500_000)
                let host2 = try #require(stack.pids["payments-worker-2"])
                let workers = StackHarness.children(of: host2)
                #expect(workers.count == 2)
                kill(host2, SIGKILL)
                for pid in workers { kill(pid, SIGKILL) }
                usleep(1_500_000)
                stop.store(true, ordering: .relaxed)
                reader.wait()
                let reads = readStatuses.withLock { $0 }
                #expect(reads.count > 50)
                #expect(reads.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: reads, by: { $0 }).mapValues(\.count))")
                // Writes go on through host 1 alone.
                for _ in 0..<10 {
                    #expect(try http.postJSON("/orders", #"{"amount": 500, "currency": "NOK"}"#).status == 200)
                }
                #expect(try db.integer("SELECT count(*) FROM orders") == Int64(total + 10))
            }
        }

        /// The database stops under light load and starts again: requests meanwhile are 503
        /// with a problem body and Retry-After, nothing is half-written, and the same workers
        /// serve again once it is back.
        @Test func aDatabaseRestartIsA503ThenTheWorkersReconnect() throws {
            let directory = try #require(TestPostgres.clusterDirectory) + "-outage-\(UUID().uuidString.prefix(6))"
            let port = try StackHarness.freePort()
            let url = try PostgresCluster.start(directory: directory, port: port)
            defer { PostgresCluster.stop(directory: directory); try? FileManager.default.removeItem(atPath: directory) }
            try StackHarness.withStack(workers: 2, threads: 4, workerEnvironment: ["DATABASE_URL": url]) { stack, shop in
                let http = shop.http
                let supervisor = try #require(stack.pids["payments-worker"])
                let workersBefore = Set(StackHarness.children(of: supervisor))
                let created = Mutex<[String]>([])
                let outcomes = Mutex<[(status: Int, retryAfter: String?, title: String?)]>([])
                let stop = Atomic<Bool>(false)
                let load = DispatchGroup()
                for _ in 0..<2 {
                    load.enter()
                    Thread.detachNewThread {
                        while !stop.load(ordering: .relaxed) {
                            if let response = try? http.postJSON("/orders", #"{"amount": 900, "currency": "NOK"}"#) {
                                if response.status == 200, let id = response.json["id"]?.stringValue { created.withLock { $0.append(id) } }
                                outcomes.withLock { $0.append((response.status.code, response.header("Retry-After"), response.json["title"]?.stringValue)) }
                            }
                            usleep(50_000)
                        }
                        load.leave()
                    }
                }
                usleep(700_000)
                PostgresCluster.stop(directory: directory)
                usleep(1_500_000)
                let down = try http.get("/orders/\(created.withLock { $0.first } ?? "none")")
                #expect(down.status == 503)
                #expect(down.header("Retry-After") == "2")
                #expect(down.json["title"]?.stringValue == "Database unavailable")
                #expect(try http.get("/readyz").status == 503)
                _ = try PostgresCluster.start(directory: directory, port: port)
                #expect(shop.eventually(timeout: 10) { (try? http.get("/readyz").status) == 200 })
                usleep(700_000)
                stop.store(true, ordering: .relaxed)
                load.wait()

                let all = outcomes.withLock { $0 }
                let refused = all.filter { $0.status != 200 }
                #expect(!refused.isEmpty, "the load saw the outage")
                #expect(refused.allSatisfy { $0.status == 503 && $0.retryAfter != nil }, "\(refused.map { ($0.status, $0.title ?? "") })")
                #expect(all.suffix(4).allSatisfy { $0.status == 200 }, "served again after the restart")
                // The same worker processes reconnected by themselves.
                #expect(Set(StackHarness.children(of: supervisor)) == workersBefore)
                // Nothing half-written: every acknowledged order is stored complete, and every
                // stored order has its history (order and first event are one transaction).
                let db = try stack.database()
                for id in created.withLock({ $0 }) {
                    #expect(try db.text("SELECT status FROM orders WHERE id = $1 AND session_url IS NOT NULL", [id]) == "PENDING")
                }
                #expect(try db.integer("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id)") == 0)
            }
        }
    }
}

/// A PostgreSQL cluster of a test's own (Tests/Support/postgres.sh), for tests that stop it.
enum PostgresCluster {
    static let script = "\(StackHarness.repositoryRoot)/Tests/Support/postgres.sh"

    /// Starts (initializing on first use) the cluster in `directory`; returns its URL.
    static func start(directory: String, port: Int) throws -> String {
        try run([script, "start", directory, String(port)])
        return "postgres://payments@127.0.0.1:\(port)/postgres"
    }

    /// Stops it (fast shutdown, by the postmaster's pid).
    static func stop(directory: String) {
        try? run([script, "stop", directory])
    }

    // Output to the log file, not a pipe: the postmaster the script starts would hold a pipe open.
    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure("\(arguments.joined(separator: " ")) exited with \(process.terminationStatus)") }
    }
}
