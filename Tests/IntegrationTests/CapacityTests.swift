import Foundation
import Synchronization
import HTTPKit
import Testing
import TestSupport

extension IntegrationSuite {
    /// A request that waits on Dintero holds no accept thread: creates are parked and answered
    /// from the outbound pool, past its limit they queue, and only a full queue or its deadline
    /// refuses one. Barriers are the sandbox's held calls, never a duration.
    @Suite struct CapacityTests {
        static let create = #"{"amount": 700, "currency": "NOK"}"#

        /// 32 creates waiting on Dintero with 2 × 2 accept threads: reads, lists and other APIs
        /// are answered while every create is still waiting, and then every create completes.
        @Test func parkedCreatesHoldNoAcceptThread() throws {
            try StackHarness.withStack(workers: 2, threads: 2, workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "60"]) { stack, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"hold":true,"count":32}"#)
                let creates = AsyncCreates(count: 32, shop: shop)
                #expect(shop.eventually(timeout: 30) { (try? shop.held("sessions")) == 32 })
                for _ in 0..<20 {
                    #expect(try shop.http.get("/orders/\(id)").status == 200)
                    #expect(try shop.http.get("/orders?limit=5").status == 200)
                    #expect(try shop.http.postJSON("/payments", #"{"reference":"R","amount":"100","returnUrl":"https://shop.example/r"}"#).status == 200)
                    #expect(try shop.http.get("/healthz").status == 200)
                }
                #expect(creates.finished == 0, "a create was answered before Dintero was")
                #expect(try shop.release() == 32)
                let statuses = creates.wait()
                #expect(statuses.count == 32 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
                #expect(try stack.database().integer("SELECT count(*) FROM orders WHERE status = 'PENDING'") == 33)
            }
        }

        /// The issue's reproducer: 256 creates at once against a 300 ms Dintero at the default
        /// settings all succeed, one order each.
        @Test func twoHundredFiftySixConcurrentCreatesAllSucceed() throws {
            try StackHarness.withStack { stack, shop in
                _ = try shop.createOrder()
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"delay_ms":300,"count":256}"#)
                let results = Shop.concurrently(256) { index -> (Int, String?) in
                    let response = try? shop.http.postJSON("/orders", #"{"amount": \#(1000 + index), "currency": "NOK"}"#)
                    return (response?.status.code ?? -1, response?.json["id"]?.stringValue)
                }
                #expect(results.count == 256)
                #expect(results.allSatisfy { $0.0 == 200 }, "\(results.map(\.0).filter { $0 != 200 })")
                #expect(Set(results.compactMap(\.1)).count == 256)
                let db = try stack.database()
                #expect(try db.integer("SELECT count(*) FROM orders WHERE amount BETWEEN 1000 AND 1255 AND status = 'PENDING'") == 256)
            }
        }

        /// Past the in-flight limit creates queue; a full queue refuses at once and the queue
        /// deadline refuses the rest, each with 503 + Retry-After in the API's shape and nothing
        /// stored; the creates in flight complete when Dintero answers.
        @Test func pastTheLimitCreatesQueueThenTheDeadlineRefuses() throws {
            try StackHarness.withStack(workers: 1, threads: 2, workerEnvironment: [
                "OUTBOUND_CONCURRENCY": "2", "OUTBOUND_QUEUE": "2", "OUTBOUND_QUEUE_SECONDS": "0.5", "DINTERO_TIMEOUT_SECONDS": "60",
            ]) { stack, shop in
                _ = try shop.createOrder()
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"hold":true,"count":100}"#)
                let running = AsyncCreates(count: 2, shop: shop)
                #expect(shop.eventually(timeout: 30) { (try? shop.held("sessions")) == 2 })
                let refused = Shop.concurrently(4) { _ in try? shop.http.postJSON("/orders", Self.create) }
                #expect(refused.count == 4)
                for response in refused {
                    #expect(response?.status == 503)
                    #expect(response?.header("Retry-After") == "1")
                    #expect(response?.header("Content-Type") == "application/problem+json")
                    #expect(response?.json["title"]?.stringValue == "Service busy")
                }
                let payment = try shop.http.postJSON("/payments", #"{"reference":"R","amount":"100","returnUrl":"https://shop.example/r"}"#)
                let txid = try #require(payment.json["transactionId"]?.stringValue)
                // The card submission waits on the provider too: refused in /payments' shape.
                let card = try shop.http.postJSON("/payments/\(txid)/card", #"{"cardno":"4242424242424242","cvc":"123","enddate":"12/30"}"#)
                #expect(card.status == 503)
                #expect(card.json["message"]?.stringValue?.contains("payment provider") == true, "\(card.text)")
                #expect(try shop.held("sessions") == 2)
                #expect(try shop.release() == 2)
                #expect(running.wait() == [200, 200])
                #expect(try stack.database().integer("SELECT count(*) FROM orders") == 3)
            }
        }

        /// SIGKILL of a worker with 100 parked creates: every client is answered (502 from
        /// nginx), each retry with its Idempotency-Key converges on one order, and no order is
        /// left CREATED.
        @Test func aKilledWorkersParkedCreatesConvergeOnRetry() throws {
            try StackHarness.withStack(workers: 1, threads: 4, workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "60"]) { stack, shop in
                _ = try shop.createOrder()
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"hold":true,"count":100}"#)
                let supervisor = try #require(stack.pids["payments-worker"])
                let worker = try #require(StackHarness.children(of: supervisor).first)
                let creates = AsyncCreates(count: 100, shop: shop, key: "kill-")
                #expect(shop.eventually(timeout: 30) { (try? shop.held("sessions")) == 100 })
                kill(worker, SIGKILL)
                let statuses = creates.wait()
                #expect(statuses.count == 100 && statuses.allSatisfy { [502, 503].contains($0) }, "\(statuses)")
                try shop.release()  // the dead worker's calls: their answers go nowhere
                #expect(shop.eventually(timeout: 30) { StackHarness.children(of: supervisor).count == 1 })
                var ids: Set<String> = []
                for index in 0..<100 {
                    var headers: HTTPFields = [:]
                    headers.append("Idempotency-Key", "kill-\(index)")
                    var response = try shop.http.postJSON("/orders", Self.create, headers: headers)
                    if response.status != 200 {  // the restarted worker may still be starting
                        _ = shop.eventually { (try? shop.http.get("/healthz"))?.status == 200 }
                        response = try shop.http.postJSON("/orders", Self.create, headers: headers)
                    }
                    #expect(response.status == 200, "kill-\(index): \(response.text)")
                    let again = try shop.http.postJSON("/orders", Self.create, headers: headers)
                    #expect(again.json["id"] == response.json["id"])
                    if let id = response.json["id"]?.stringValue { ids.insert(id) }
                }
                #expect(ids.count == 100)
                let db = try stack.database()
                #expect(try db.integer("SELECT count(*) FROM orders WHERE status = 'CREATED'") == 0)
                #expect(try db.integer("SELECT count(*) FROM orders WHERE amount = 700") == 100)
            }
        }

        /// A reload (SIGHUP) and a stop (SIGTERM) let parked creates finish: every one is
        /// answered 200 once Dintero answers, none is dropped.
        @Test func reloadAndStopDrainParkedCreates() throws {
            for signal in [SIGHUP, SIGTERM] {
                try StackHarness.withStack(workers: 2, threads: 2, workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "60"]) { stack, shop in
                    _ = try shop.createOrder()
                    try shop.injectFault(#"{"endpoint":"sessions","status":0,"hold":true,"count":20}"#)
                    let creates = AsyncCreates(count: 20, shop: shop)
                    #expect(shop.eventually(timeout: 30) { (try? shop.held("sessions")) == 20 })
                    let supervisor = try #require(stack.pids["payments-worker"])
                    let workers = StackHarness.children(of: supervisor)
                    kill(supervisor, signal)
                    // A reload starts the first slot's new worker, then the old one stops accepting
                    // but waits for its parked creates (the next slot follows once it has exited).
                    #expect(shop.eventually(timeout: 10) {
                        signal == SIGTERM || !Set(StackHarness.children(of: supervisor)).subtracting(workers).isEmpty
                    })
                    #expect(workers.allSatisfy { kill($0, 0) == 0 }, "a worker exited with creates parked")
                    #expect(try shop.release() == 20)
                    let statuses = creates.wait()
                    #expect(statuses == Array(repeating: 200, count: 20), "signal \(signal): \(statuses)")
                    #expect(shop.eventually(timeout: 10) { workers.allSatisfy { kill($0, 0) != 0 } })
                }
            }
        }
    }
}

/// Creates started on threads of their own, to be collected later.
final class AsyncCreates: Sendable {
    private let group = DispatchGroup()
    private let statuses = Mutex<[Int: Int]>([:])

    /// Starts `count` creates (with `key` + index as Idempotency-Key when given).
    init(count: Int, shop: Shop, key: String? = nil) {
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread { [self] in
                var headers: HTTPFields = [:]
                if let key { headers.append("Idempotency-Key", "\(key)\(index)") }
                let response = try? shop.http.postJSON("/orders", IntegrationSuite.CapacityTests.create, headers: headers)
                statuses.withLock { $0[index] = response?.status.code ?? -1 }
                group.leave()
            }
        }
    }

    /// How many have been answered so far.
    var finished: Int { statuses.withLock { $0.count } }

    /// Waits for every create; their statuses in start order.
    func wait() -> [Int] {
        group.wait()
        return statuses.withLock { statuses in statuses.keys.sorted().compactMap { statuses[$0] } }
    }
}
