import Foundation
import HTTPKit
import Testing
import TestSupport

extension IntegrationSuite {
    /// One structured line per request, tied to nginx's request id; nothing a request sends can
    /// forge a line; LOG_LEVEL.
    @Suite struct LoggingTests {
        @Test func everyRequestIsOneLogfmtLineWithNginxsRequestID() throws {
            try StackHarness.withStack(workers: 1, threads: 2) { stack, shop in
                let order = try shop.http.postJSON("/orders", #"{"amount": 100, "currency": "NOK"}"#)
                let id = try #require(order.header("X-Request-Id"))
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
                let orderID = try #require(order.json["id"]?.stringValue)
                let shown = try shop.http.get("/orders/\(orderID)")
                let forged = try shop.http.get("/orders/\(orderID)/callback?transaction_id=T1.x%0Ats=2026-01-01%20level%3Derror%20msg%3Dforged")
                #expect(forged.status == 400)
                let long = try shop.http.get("/orders/\(orderID)/callback?error=" + String(repeating: "x", count: 6_000))
                #expect(long.status.code > 0)
                stack.stop()

                let log = try String(contentsOfFile: stack.path("payments-worker.log"), encoding: .utf8)
                let lines = log.split(separator: "\n")
                let created = lines.filter { $0.contains("rid=\(id)") && $0.contains("msg=request") }
                #expect(created.count == 1, "\(created)")
                let line = String(created.first ?? "")
                #expect(line.hasPrefix("ts="))
                for field in ["level=info", "component=payments-worker", "method=POST", "route=/orders", "status=200", "duration_ms=", "pid="] {
                    #expect(line.contains(field), "\(field) in \(line)")
                }
                let showID = try #require(shown.header("X-Request-Id"))
                #expect(lines.contains { $0.contains("rid=\(showID)") && $0.contains("route=/orders/:id") })
                // The access log of nginx carries the same id.
                let access = try String(contentsOfFile: stack.path("nginx/nginx-access.log"), encoding: .utf8)
                #expect(access.contains("rid=\(id)"))
                // Nothing starts a line but the logger: no forged "ts=2026-01-01" line.
                #expect(!lines.contains { $0.hasPrefix("ts=2026-01-01") })
                #expect(lines.allSatisfy { $0.hasPrefix("ts=") || $0.hasPrefix("fastcgi[") })
                // A 6 KB value is cut in the log.
                #expect(lines.allSatisfy { $0.utf8.count < 2_600 })
            }
        }

        /// An order's life can be followed in the worker log by its id: created, each status
        /// change (from → to, with its session, transaction and totals), each operation step.
        @Test func anOrdersLifeCanBeFollowedInTheLog() throws {
            try StackHarness.withStack(workers: 1, threads: 2, sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { stack, shop in
                let (id, transactionID) = try LifecycleTests.paidOrder(shop, amount: 20_000)
                #expect(try shop.http.postJSON("/orders/\(id)/capture", #"{"amount": 20000}"#).status == 200)
                let refund = try shop.http.postJSON("/orders/\(id)/refund", #"{"amount": 5000}"#)
                #expect(refund.status == 200)
                let operationID = try #require(refund.json["operations"]?.arrayValue?.first?["id"]?.stringValue)
                stack.stop()

                let log = try String(contentsOfFile: stack.path("payments-worker.log"), encoding: .utf8)
                let life = log.split(separator: "\n").filter { $0.contains("order=\(id)") }.map(String.init)
                func line(_ message: String, _ fields: [String]) -> Bool {
                    life.contains { line in line.contains("msg=\"\(message)\"") && fields.allSatisfy { line.contains($0) } }
                }
                #expect(line("order created", ["amount=20000", "currency=NOK", "rid="]), "\(life)")
                #expect(line("order status", ["from=CREATED", "to=PENDING", "session="]), "\(life)")
                #expect(line("order status", ["from=PENDING", "to=AUTHORIZED", "transaction=\(transactionID)", "source=redirect"]), "\(life)")
                #expect(line("order operation", ["kind=capture", "state=requested", "amount=20000"]), "\(life)")
                #expect(line("order status", ["from=AUTHORIZED", "to=CAPTURED", "captured=20000"]), "\(life)")
                #expect(line("order operation", ["operation=\(operationID)", "kind=refund", "state=succeeded"]), "\(life)")
                #expect(line("order status", ["from=CAPTURED", "to=PARTIALLY_REFUNDED", "refunded=5000"]), "\(life)")
            }
        }

        @Test func logLevelWarningDropsRequestLines() throws {
            try StackHarness.withStack(workers: 1, threads: 2, workerEnvironment: ["LOG_LEVEL": "warning"]) { stack, shop in
                #expect(try shop.http.get("/orders").status == 200)
                stack.stop()
                let log = try String(contentsOfFile: stack.path("payments-worker.log"), encoding: .utf8)
                #expect(!log.contains("msg=request"))
                #expect(log.contains("level=warning"))  // PAYMENTS_API_KEY is not set
            }
            let error = #expect(throws: Error.self) { try StackHarness.start(workerEnvironment: ["LOG_LEVEL": "chatty"]) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("LOG_LEVEL must be"))
        }
    }
}
