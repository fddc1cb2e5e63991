import Dintero
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
    /// The /payments broker through real nginx, workers, SQLite and the sandbox provider.
    @Suite struct PaymentsBrokerTests {
        static let returnURL = "http://service.example/return"

        func createPayment(_ shop: Shop, amount: String = "123456", key: String? = nil) throws -> (id: String, url: String) {
            var headers: HTTPFields = ["Content-Type": "application/json"]
            if let key { headers.append("Authorization", "Bearer \(key)") }
            let response = try shop.http.send("POST", "\(shop.base)/payments", body: Array(#"{"reference": "REF-1235", "amount": "\#(amount)", "returnUrl": "\#(Self.returnURL)"}"#.utf8), headers: headers)
            guard response.status == 200, let id = response.json["transactionId"]?.stringValue, let url = response.json["url"]?.stringValue else {
                throw Failure("POST /payments answered \(response.status): \(response.text)")
            }
            return (id, url)
        }

        func submitCard(_ shop: Shop, _ id: String, cardno: String, cvc: String = "123", enddate: String = "12/30") throws -> TransportResponse {
            try shop.http.postJSON("\(shop.base)/payments/\(id)/card", #"{"cardno": "\#(cardno)", "cvc": "\#(cvc)", "enddate": "\#(enddate)"}"#)
        }

        @Test func hostedCardPageToProviderAndBack() throws {
            try StackHarness.withStack { stack, shop in
                let payment = try createPayment(shop)
                #expect(payment.url == "\(stack.baseURL)/payments/\(payment.id)/pay")
                #expect(try shop.http.get("\(shop.base)/payments/\(payment.id)").status == 403)

                let page = try shop.http.get(payment.url, accept: "text/html")
                #expect(page.status == 200)
                #expect(page.text.contains("name=\"cardno\""))
                let posted = try shop.http.postForm("\(shop.base)/payments/\(payment.id)/card", [("cardno", "4242424242424242"), ("cvc", "123"), ("enddate", "12/30")])
                #expect(posted.status == 303)
                #expect(posted.header("Location") == "\(Self.returnURL)?status=ok&transactionId=\(payment.id)")

                let outcome = try shop.http.get("\(shop.base)/payments/\(payment.id)")
                #expect(outcome.status == 200)
                #expect(outcome.json["paymentId"]?.stringValue?.hasPrefix("pay_") == true)
                let list = try shop.http.get("\(shop.base)/payments?status=OK").json.arrayValue ?? []
                #expect(list.map { $0["transactionId"]?.stringValue } == [payment.id])
                #expect(list.first?["amount"]?.stringValue == "123456")
            }
        }

        @Test func declinedAndFailingProviderEndInError() throws {
            try StackHarness.withStack { stack, shop in
                let declined = try createPayment(shop)
                #expect(try submitCard(shop, declined.id, cardno: "4000000000000002").json == .object([("url", .string(Self.returnURL))]))
                #expect(try shop.http.get("\(shop.base)/payments/\(declined.id)").json["paymentId"]?.stringValue?.hasPrefix("pay_") == true)
                let broken = try createPayment(shop)
                #expect(try submitCard(shop, broken.id, cardno: "4000000000000119").status == 200)
                try shop.injectFault(#"{"endpoint":"provider","status":503,"count":1}"#)
                let unavailable = try createPayment(shop)
                #expect(try submitCard(shop, unavailable.id, cardno: "4242424242424242").status == 200)
                let errors = try shop.http.get("\(shop.base)/payments?status=error").json.arrayValue ?? []
                #expect(Set(errors.compactMap { $0["transactionId"]?.stringValue }) == [declined.id, broken.id, unavailable.id])
                let db = try stack.database()
                #expect(try db.integer("SELECT count(*) FROM payments WHERE state = 'card'") == 0)
                let reasons = try db.column("SELECT error_reason FROM payments WHERE state = 'ERROR' ORDER BY seq").map { $0 ?? "" }
                #expect(reasons == ["declined: card_declined", "provider answered 500", "provider answered 503"])
            }
        }

        @Test func providerUnreachableOrSlowEndsInError() throws {
            let closed = try StackHarness.freePort()
            try StackHarness.withStack(workerEnvironment: ["PROVIDER_URL": "http://127.0.0.1:\(closed)/provider", "PROVIDER_TIMEOUT_SECONDS": "1"]) { stack, shop in
                let payment = try createPayment(shop)
                #expect(try submitCard(shop, payment.id, cardno: "4242424242424242").status == 200)
                let outcome = try shop.http.get("\(shop.base)/payments/\(payment.id)")
                #expect(outcome.status == 200)
                #expect(outcome.json["paymentId"] == .null)
                let row = try stack.database().rows("SELECT state, error_reason FROM payments WHERE transaction_id = $1", [payment.id]).first
                #expect(row?[0] == "ERROR")
                #expect(row?[1]?.contains("unreachable") == true)
            }
        }

        @Test func providerTimeoutEndsInError() throws {
            try StackHarness.withStack(workerEnvironment: ["PROVIDER_TIMEOUT_SECONDS": "1"]) { stack, shop in
                // The provider's answer is held until the service has given up on it.
                try shop.injectFault(#"{"endpoint":"provider","hold":true,"count":1}"#)
                let payment = try createPayment(shop)
                #expect(try submitCard(shop, payment.id, cardno: "4242424242424242").status == 200)
                #expect(try shop.release() == 1)
                let row = try stack.database().rows("SELECT state, error_reason FROM payments WHERE transaction_id = $1", [payment.id]).first
                #expect(row?[0] == "ERROR")
                #expect(row?[1] == "provider timed out")
            }
        }

        @Test func payPathWithoutPlaceholderStopsStartUp() throws {
            let error = #expect(throws: LocalStack.StartError.self) {
                try StackHarness.start(workerEnvironment: ["PAY_PATH": "https://shop.example/pay"])
            }
            let message = try #require(error?.description)
            #expect(message.contains("payments-worker exited with status 78"))
            // The reason itself is in the message (make run prints it), not only in the log file.
            #expect(message.contains("PAY_PATH must contain {TXID}"))
            let logPath = try #require(message.components(separatedBy: "see ").last?.components(separatedBy: ":\n").first)
            defer { try? FileManager.default.removeItem(atPath: (logPath as NSString).deletingLastPathComponent) }
            let log = try String(contentsOfFile: logPath, encoding: .utf8)
            #expect(log.contains("PAY_PATH must contain {TXID}"))
        }

        @Test func concurrentDoubleSubmissionProcessesOne() throws {
            try StackHarness.withStack(workers: 2, threads: 4) { stack, shop in
                for _ in 0..<5 {
                    let payment = try createPayment(shop)
                    let statuses = Mutex<[Int]>([])
                    DispatchQueue.concurrentPerform(iterations: 2) { _ in
                        let status = (try? submitCard(shop, payment.id, cardno: "4242424242424242"))?.status.code ?? -1
                        statuses.withLock { $0.append(status) }
                    }
                    #expect(statuses.withLock { $0.sorted() } == [200, 409])
                }
                #expect(try shop.sandboxStats()["provider_calls"]?.integerValue == 5)
            }
        }

        @Test func noCVCOrCardNumberInTheDatabaseOrLogs() throws {
            // Leaving withStack stops every process: logs are flushed and the WAL checkpointed.
            let cvc = "8675", cards = ["4242424242424242", "4000000000000002", "378282246310005"]
            let stack = try StackHarness.withStack(keepingFiles: true) { stack, shop in
                _ = try shop.createOrder()  // the Dintero token call uses the client secret
                for card in cards {
                    let payment = try createPayment(shop)
                    _ = try submitCard(shop, payment.id, cardno: card, cvc: cvc)
                }
                let invalid = try createPayment(shop)
                _ = try submitCard(shop, invalid.id, cardno: "4242424242424241", cvc: cvc)
                _ = try shop.http.postForm("\(shop.base)/payments/\(invalid.id)/card", [("cardno", "4242424242424242"), ("cvc", cvc), ("enddate", "12/30")])
                return stack
            }

            let run = URL(fileURLWithPath: stack.configuration.runDirectory)
            defer { try? FileManager.default.removeItem(at: run) }
            let files = (FileManager.default.enumerator(at: run, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
                .filter { $0.pathExtension == "log" || $0.lastPathComponent.hasPrefix("orders.sqlite") }
            var contents = try files.map { ($0.lastPathComponent, try [UInt8](Data(contentsOf: $0))) }
            #expect(files.contains { $0.lastPathComponent == "payments-worker.log" })
            let db = try stack.database()
            if db.isSQLite {
                #expect(files.contains { $0.lastPathComponent == "orders.sqlite" })
            } else {
                // Every row of every table, as PostgreSQL stores the text.
                let tables = try db.column("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").compactMap { $0 }
                #expect(tables.contains("payments") && tables.contains("idempotency_keys"))
                for table in tables {
                    let rows = try db.column("SELECT t::text FROM \(table) t").compactMap { $0 }
                    contents.append((table, Array(rows.joined(separator: "\n").utf8)))
                }
                // Stored response bodies as their bytes (the row text shows them hex-encoded).
                let bodies = try db.column("SELECT encode(body, 'escape') FROM idempotency_keys WHERE body IS NOT NULL").compactMap { $0 }
                contents.append(("idempotency_keys.body", Array(bodies.joined(separator: "\n").utf8)))
            }
            for (file, bytes) in contents {
                for card in cards { #expect(Self.occurrences(of: card, in: bytes) == 0, "card number in \(file)") }
                #expect(Self.occurrences(of: cvc, in: bytes) == 0, "CVC in \(file)")
                // The Dintero client secret (the sandbox's, here) is never logged either.
                #expect(Self.occurrences(of: DinteroConfiguration.Sandbox.defaults.clientSecret, in: bytes) == 0, "client secret in \(file)")
            }
            #expect(try stack.database().column("SELECT card_masked FROM payments WHERE card_masked IS NOT NULL ORDER BY seq")
                    == ["424242******4242", "400000******0002", "378282*****0005", "424242******4242"])
        }

        /// nginx's own answers under /payments (here its 413 for a body over 64 KiB) keep the
        /// contract's shape; the same under /orders stays a problem document.
        @Test func nginxErrorsUnderPaymentsUseTheContractShape() throws {
            try StackHarness.withStack { stack, shop in
                let huge = "{\"reference\": \"" + String(repeating: "x", count: 70_000) + "\"}"
                let payments = try shop.http.postJSON("/payments", huge)
                #expect(payments.status == 413)
                #expect(payments.json["message"]?.stringValue?.contains("larger") == true)
                #expect(payments.json["field"]?.stringValue == "body")
                let orders = try shop.http.postJSON("/orders", huge)
                #expect(orders.status == 413)
                #expect(orders.header("Content-Type") == "application/problem+json")
                #expect(orders.json["title"]?.stringValue == "Payload Too Large")
            }
        }

        /// With a key configured the shopper's card submission stays public and the calling
        /// service reads the outcome with the key (`SameBehaviourTests` checks every route);
        /// the key never reaches the worker's log.
        @Test func theAPIKeyIsNeverLogged() throws {
            try StackHarness.withStack(workerEnvironment: ["PAYMENTS_API_KEY": "integration-key"]) { stack, shop in
                #expect(throws: Failure.self) { try createPayment(shop) }
                let payment = try createPayment(shop, key: "integration-key")
                #expect(try submitCard(shop, payment.id, cardno: "4242424242424242").status == 200)
                let authorized = try shop.http.send("GET", "\(shop.base)/payments/\(payment.id)", headers: [("Authorization", "Bearer integration-key")])
                #expect(authorized.status == 200)
                let log = try String(contentsOfFile: stack.path("payments-worker.log"), encoding: .utf8)
                #expect(!log.contains("integration-key"))
                #expect(!log.contains("PAYMENTS_API_KEY is not set"))
            }
        }

        /// Occurrences of `needle` not embedded in a longer run of hex digits or dashes (as in a
        /// UUID), so a random identifier cannot fake a leak while any real one is found.
        static func occurrences(of needle: String, in haystack: [UInt8]) -> Int {
            let pattern = Array(needle.utf8)
            func isIDCharacter(_ byte: UInt8) -> Bool {
                (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte) || byte == 45
            }
            var count = 0
            var index = 0
            while index + pattern.count <= haystack.count {
                if haystack[index] == pattern[0], Array(haystack[index..<index + pattern.count]) == pattern {
                    let before = index > 0 ? haystack[index - 1] : 0
                    let after = index + pattern.count < haystack.count ? haystack[index + pattern.count] : 0
                    if !(isIDCharacter(before) && isIDCharacter(after)) || pattern.count > 8 { count += 1 }
                }
                index += 1
            }
            return count
        }
    }
}
