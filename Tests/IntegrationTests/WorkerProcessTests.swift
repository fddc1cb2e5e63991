import Foundation
import LocalStack
import HTTPKit
import PaymentsDomain
import ServiceSupport
import TestSupport
import SQLite
import Synchronization
import Testing

extension IntegrationSuite {
    /// Several worker processes on one socket: concurrency, crash restart, graceful drain.
    @Suite struct WorkerProcessTests {
        @Test func twoHundredConcurrentOrdersAcrossWorkers() throws {
            // About correctness under concurrency, not load shedding: every thread may call Dintero.
            try StackHarness.withStack(workers: 3, threads: 4, workerEnvironment: ["OUTBOUND_CONCURRENCY": "4"]) { stack, shop in
                let http = shop.http
                let total = 200, clients = 20
                let results = Mutex<(statuses: [Int], ids: Set<String>)>(([], []))
                DispatchQueue.concurrentPerform(iterations: clients) { client in
                    for index in 0..<(total / clients) {
                        let response = try? http.postJSON("\(stack.baseURL)/orders", #"{"amount": \#(100 + client * 100 + index), "currency": "NOK"}"#)
                        results.withLock {
                            $0.statuses.append(response?.status.code ?? -1)
                            if let id = response?.json["id"]?.stringValue { $0.ids.insert(id) }
                        }
                    }
                }
                let (statuses, ids) = results.withLock { $0 }
                #expect(statuses.count == total)
                #expect(statuses.allSatisfy { $0 == 200 })
                #expect(ids.count == total)
                let db = try stack.database()
                #expect(try db.integer("SELECT count(*) FROM orders") == Int64(total))
                #expect(try db.integer("SELECT count(*) FROM orders WHERE status = 'PENDING' AND session_url IS NOT NULL") == Int64(total))
                if db.isSQLite {
                    #expect(try db.text("PRAGMA integrity_check") == "ok")
                    #expect(try db.text("PRAGMA journal_mode") == "wal")
                }
            }
        }

        @Test func aCrashedWorkerIsReplaced() throws {
            try StackHarness.withStack(workers: 2, threads: 2) { stack, shop in
                let supervisor = try #require(stack.pids["payments-worker"])
                let children = StackHarness.children(of: supervisor)
                #expect(children.count == 2)
                kill(try #require(children.first), SIGKILL)
                #expect(shop.eventually { StackHarness.children(of: supervisor).count == 2 && Set(StackHarness.children(of: supervisor)) != Set(children) })
                for _ in 0..<10 { #expect(try shop.http.get("\(stack.baseURL)/orders").status == 200) }
            }
        }

        @Test func sigtermDrainsInFlightRequests() throws {
            try StackHarness.withStack(workers: 1, threads: 2) { stack, shop in
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"delay_ms":1500,"count":1}"#)
                let status = Mutex(0)
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let response = try? shop.http.postJSON("\(stack.baseURL)/orders", #"{"amount": 4200, "currency": "NOK"}"#)
                    status.withLock { $0 = response?.status.code ?? -1 }
                    done.signal()
                }
                usleep(500_000)  // the request is now waiting on the slow Dintero call
                stack.signal("payments-worker", SIGTERM)
                #expect(done.wait(timeout: .now() + 10) == .success)
                #expect(status.withLock { $0 } == 200)
                #expect(stack.waitForExit("payments-worker", timeout: 10) == 0)
                #expect(!FileManager.default.fileExists(atPath: stack.path("worker.sock")))
            }
        }
    }
}
