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

        /// By default every thread of a worker runs under SCHED_BATCH and, when the workers
        /// divide evenly over the CPUs, on its slot's CPU alone; a reload's new workers too.
        /// With WORKER_SCHED_POLICY=other and WORKER_CPU_AFFINITY=off, neither.
        @Test func workersAreScheduledAsConfigured() throws {
            let allowed = try ProcStatus.allowedCPUs(of: getpid())
            let pinned = allowed.count == 2  // 2 workers divide evenly over 2 CPUs only
            try StackHarness.withStack(workers: 2, threads: 2) { stack, shop in
                let supervisor = try #require(stack.pids["payments-worker"])
                #expect(try shop.createOrder()["status"]?.stringValue == "PENDING")
                try Self.expectScheduling(of: StackHarness.children(of: supervisor), batch: true, pinned: pinned, allowed: allowed)
                let before = Set(StackHarness.children(of: supervisor))
                kill(supervisor, SIGHUP)
                #expect(shop.eventually(timeout: 10) {
                    let now = Set(StackHarness.children(of: supervisor))
                    return now.count == 2 && now.isDisjoint(with: before)
                })
                #expect(try shop.createOrder()["status"]?.stringValue == "PENDING")
                try Self.expectScheduling(of: StackHarness.children(of: supervisor), batch: true, pinned: pinned, allowed: allowed)
            }
            try StackHarness.withStack(workers: 2, threads: 2, workerEnvironment: [
                "WORKER_SCHED_POLICY": "other", "WORKER_CPU_AFFINITY": "off",
            ]) { stack, shop in
                let supervisor = try #require(stack.pids["payments-worker"])
                #expect(try shop.createOrder()["status"]?.stringValue == "PENDING")
                try Self.expectScheduling(of: StackHarness.children(of: supervisor), batch: false, pinned: false, allowed: allowed)
            }
        }

        private static func expectScheduling(of workers: [Int32], batch: Bool, pinned: Bool, allowed: [Int32]) throws {
            #expect(workers.count == 2)
            var cpus: Set<[Int32]> = []
            for worker in workers {
                // The accept threads and URLSession's dispatch threads (a create has run): all.
                let threads = try ProcStatus.threads(of: worker)
                #expect(threads.count > 2)
                for thread in threads {
                    let policy = try ProcStatus.policy(of: worker, thread: thread)
                    #expect(policy == (batch ? 3 : 0), "thread \(thread) of worker \(worker): policy \(policy ?? -1)")
                    let threadCPUs = try ProcStatus.allowedCPUs(of: worker, thread: thread)
                    #expect(pinned ? threadCPUs.count == 1 : threadCPUs == allowed, "thread \(thread) of worker \(worker): CPUs \(threadCPUs)")
                    cpus.insert(threadCPUs)
                }
            }
            if pinned { #expect(cpus.count == 2, "each worker on a CPU of its own: \(cpus)") }
        }

        @Test func sigtermDrainsInFlightRequests() throws {
            try StackHarness.withStack(workers: 1, threads: 2) { stack, shop in
                try shop.injectFault(#"{"endpoint":"sessions","hold":true,"count":1}"#)
                let status = Mutex(0)
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let response = try? shop.http.postJSON("\(stack.baseURL)/orders", #"{"amount": 4200, "currency": "NOK"}"#)
                    status.withLock { $0 = response?.status.code ?? -1 }
                    done.signal()
                }
                // The request is waiting on Dintero (held by the sandbox) when the drain starts.
                #expect(shop.eventually(timeout: 30) { (try? shop.held("sessions")) == 1 })
                stack.signal("payments-worker", SIGTERM)
                #expect(try shop.release() == 1)
                #expect(done.wait(timeout: .now() + 30) == .success)
                #expect(status.withLock { $0 } == 200)
                #expect(stack.waitForExit("payments-worker", timeout: 10) == 0)
                #expect(!FileManager.default.fileExists(atPath: stack.path("worker.sock")))
            }
        }
    }
}
