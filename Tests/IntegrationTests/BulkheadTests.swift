import Foundation
import HTTPKit
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// A slow or failing Dintero must not take the rest of the service with it.
    @Suite struct BulkheadTests {
        /// p99 of `samples` seconds.
        static func p99(_ samples: [Double]) -> Double {
            let sorted = samples.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        }

        /// Reproducer: Dintero answers session creation in 9.5 s (under the 10 s timeout) and 32
        /// creates arrive at once. Unrelated requests keep p99 < 100 ms; creates beyond the
        /// outbound cap are refused at once with 503 + Retry-After (order kept SESSION_FAILED);
        /// the rest complete.
        @Test func aSlowDinteroCannotStallOtherRequests() throws {
            try StackHarness.withStack(workers: 2, threads: 16, workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "10"]) { stack, shop in
                let order = try shop.createOrder()  // token cached, one order to read
                let id = try #require(order["id"]?.stringValue)
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"delay_ms":9500,"count":32}"#)
                let creates = Mutex<[(status: Int, retryAfter: String?, seconds: Double)]>([])
                let started = DispatchGroup()
                for _ in 0..<32 {
                    started.enter()
                    Thread.detachNewThread {
                        let begin = Date()
                        let response = try? shop.http.postJSON("/orders", #"{"amount": 700, "currency": "NOK"}"#)
                        creates.withLock { $0.append((response?.status.code ?? -1, response?.header("Retry-After"), Date().timeIntervalSince(begin))) }
                        started.leave()
                    }
                }
                usleep(1_000_000)  // every create is now waiting on Dintero or already refused
                // A client of its own, so nothing queues behind the creates on the test's side.
                let other = LiveClient(baseURL: stack.baseURL)
                var reads: [Double] = [], payments: [Double] = []
                // 100 of each: the p99 is then the 99th, not simply the slowest of a few.
                for _ in 0..<100 {
                    var begin = Date()
                    #expect(try other.get("/orders/\(id)").status == 200)
                    reads.append(Date().timeIntervalSince(begin))
                    begin = Date()
                    #expect(try other.postJSON("/payments", #"{"reference": "R", "amount": "100", "returnUrl": "http://127.0.0.1:9/"}"#).status == 200)
                    payments.append(Date().timeIntervalSince(begin))
                }
                // With PostgreSQL on this same 2-core machine the bound only says "not stuck behind
                // Dintero" (a stalled request would wait out the 9.5 s delay): while the creates
                // wait, FoundationNetworking's URLSession keeps a dispatch write source on each new
                // connection's socket after connecting and busy-polls until the answer comes
                // (measured: ~0.75 core per worker, and the test's own client does the same), and
                // the database server's processes compete with that for the two cores (a primary
                // key lookup was logged at 1.8 s). SQLite runs inside the worker's own threads; a
                // PostgreSQL on its own host does not share those cores.
                let bound = TestStore.integration == .sqlite ? 0.1 : 5
                #expect(Self.p99(reads) < bound, "GET /orders/{id} p99 \(Self.p99(reads)) s")
                #expect(Self.p99(payments) < bound, "POST /payments p99 \(Self.p99(payments)) s")

                #expect(started.wait(timeout: .now() + 30) == .success)
                let results = creates.withLock { $0 }
                let refused = results.filter { $0.status == 503 }
                let completed = results.filter { $0.status == 200 }
                #expect(refused.count + completed.count == 32, "\(results.map { ($0.status, $0.seconds) })")
                #expect(!refused.isEmpty && !completed.isEmpty)
                #expect(completed.count <= 16, "at most half of 2 × 16 threads wait on Dintero")
                #expect(refused.allSatisfy { $0.retryAfter == "1" && $0.seconds < 1 })
            }
        }

        /// Dintero timing out again and again opens the circuit: creates fail at once (503,
        /// Retry-After) instead of each waiting out the timeout; after the pause one probe goes
        /// through, and success closes the circuit again.
        @Test func repeatedTimeoutsOpenTheCircuitThenOneProbeClosesIt() throws {
            try StackHarness.withStack(workerEnvironment: [
                "DINTERO_TIMEOUT_SECONDS": "0.5", "CIRCUIT_FAILURES": "3", "CIRCUIT_OPEN_SECONDS": "2",
            ]) { stack, shop in
                _ = try shop.createOrder()
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"delay_ms":1500,"count":1000}"#)
                // Until a worker's circuit opens, each create waits out its timeout (502).
                var statuses: [Int] = []
                var fastFailure: Double?
                for _ in 0..<12 {
                    let begin = Date()
                    let response = try shop.http.postJSON("/orders", #"{"amount": 800, "currency": "NOK"}"#)
                    statuses.append(response.status.code)
                    if response.status == 503 {
                        fastFailure = Date().timeIntervalSince(begin)
                        #expect(response.header("Retry-After").flatMap(Int.init).map { (1...2).contains($0) } == true)
                        break
                    }
                }
                #expect(statuses.last == 503, "\(statuses)")
                #expect(statuses.dropLast().allSatisfy { $0 == 502 }, "\(statuses)")
                #expect((fastFailure ?? 1) < 0.2)
                // Operators see it: readiness degraded (still 200), the outcomes counted.
                #expect(shop.eventually(timeout: 3) {
                    let ready = try? shop.http.get("/readyz")
                    return ready?.status == 200 && ready?.json["status"]?.stringValue == "degraded"
                        && ready?.json["checks"]?["dintero"]?["circuit"]?.stringValue != "closed"
                })
                // (Other workers' figures are up to a second old.)
                #expect(shop.eventually(timeout: 3) {
                    let metrics = try? OperationsTests.metrics(shop)
                    return (metrics?[#"payments_outbound_requests_total{target="dintero",outcome="timeout"}"#] ?? 0) >= 3
                        && (metrics?[#"payments_outbound_requests_total{target="dintero",outcome="rejected_circuit_open"}"#] ?? 0) >= 1
                })
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"delay_ms":0,"count":0}"#)
                #expect(shop.eventually(timeout: 10) {
                    (try? shop.http.postJSON("/orders", #"{"amount": 800, "currency": "NOK"}"#))?.status == 200
                })
            }
        }
    }
}
