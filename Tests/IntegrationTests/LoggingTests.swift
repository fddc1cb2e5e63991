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
