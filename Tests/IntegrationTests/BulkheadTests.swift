import Foundation
import HTTPKit
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// A slow or failing Dintero must not take the rest of the service with it.
    @Suite struct BulkheadTests {
        /// Reproducer: Dintero is slow to answer session creation (held by the sandbox until the
        /// test lets it answer, within the timeout) and 32 creates arrive at once at the
        /// default settings. None is refused; unrelated requests are answered while they wait
        /// (each of them before any create); every create completes.
        @Test func aSlowDinteroCannotStallOtherRequests() throws {
            // A timeout far beyond the test's own steps: only the release ends the wait.
            try StackHarness.withStack(workers: 2, threads: 16, workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "60"]) { stack, shop in
                let order = try shop.createOrder()  // token cached, one order to read
                let id = try #require(order["id"]?.stringValue)
                try shop.injectFault(#"{"endpoint":"sessions","hold":true,"count":32}"#)
                let creates = AsyncCreates(count: 32, shop: shop)
                // A client of its own, so nothing queues behind the creates on the test's side.
                let other = LiveClient(baseURL: stack.baseURL)
                for _ in 0..<20 {
                    #expect(try other.get("/orders/\(id)").status == 200)
                    #expect(try other.postJSON("/payments", #"{"reference": "R", "amount": "100", "returnUrl": "http://127.0.0.1:9/"}"#).status == 200)
                }
                #expect(creates.finished == 0, "a create was answered before Dintero was")
                #expect(shop.eventually(timeout: 30) { (try? shop.held("sessions")) == 32 })
                #expect(try shop.release() == 32)
                let statuses = creates.wait()
                #expect(statuses == Array(repeating: 200, count: 32), "\(statuses)")
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
                // Held: Dintero never answers within the timeout, however busy the machine.
                try shop.injectFault(#"{"endpoint":"sessions","status":0,"hold":true,"count":1000}"#)
                // Until a worker's circuit opens, each create waits out its timeout (502).
                var statuses: [Int] = []
                for _ in 0..<12 {
                    let response = try shop.http.postJSON("/orders", #"{"amount": 800, "currency": "NOK"}"#)
                    statuses.append(response.status.code)
                    if response.status == 503 {
                        #expect(response.header("Retry-After").flatMap(Int.init).map { (1...2).contains($0) } == true)
                        break
                    }
                }
                #expect(statuses.last == 503, "\(statuses)")
                #expect(statuses.dropLast().allSatisfy { $0 == 502 }, "\(statuses)")
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
                try shop.release()  // the timed-out calls: their answers go nowhere
                #expect(shop.eventually(timeout: 10) {
                    (try? shop.http.postJSON("/orders", #"{"amount": 800, "currency": "NOK"}"#))?.status == 200
                })
            }
        }
    }
}
