import Foundation
import HTTPKit
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// The sandbox behaves as Dintero's published Checkout API says, and the service is correct
    /// against that behaviour (issue 26's points, each through nginx).
    @Suite struct DinteroFidelityTests {
        /// Point 7: a failed or declined payment returns with an `error` parameter beside the
        /// transaction ("an error query parameter will be appended"); the order ends as the
        /// transaction says.
        @Test func aFailedPaymentReturnsWithAnErrorParameter() throws {
            try StackHarness.withStack { _, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                let location = try shop.checkout(order, outcome: "DECLINED")
                let query = try #require(URLComponents(string: location))
                #expect(query.value("error") == "failed")
                #expect(query.value("transaction_id") != nil)
                let back = try shop.http.get(location)
                #expect(back.status == 200)
                #expect(back.json["order"]?["status"]?.stringValue == "DECLINED")
                #expect(try shop.status(id) == "DECLINED")
            }
        }

        /// Point 3: Dintero calls back to HTTPS URLs only. The sandbox, set so, drops a callback
        /// to the local stack's plain-HTTP URL (counted), and the service refuses to start with
        /// real credentials and a plain-HTTP public URL, saying why.
        @Test func callbacksGoToHTTPSOnly() throws {
            try StackHarness.withStack(sandboxEnvironment: ["SANDBOX_CALLBACKS_HTTPS_ONLY": "1"]) { _, shop in
                let (id, _) = try LifecycleTests.paidOrder(shop)
                let stats = try shop.sandboxStats()
                #expect(stats["callbacks_refused_insecure"]?.integerValue == 1)
                #expect(stats["callbacks_delivered"]?.integerValue == 0)
                #expect(try shop.status(id) == "AUTHORIZED")  // the verified return still settles it
            }
            let worker = Process()
            worker.executableURL = URL(fileURLWithPath: "\(StackHarness.binDirectory)/payments-worker")
            let socket = FileManager.default.temporaryDirectory.appendingPathComponent("refused-\(UUID().uuidString.prefix(8)).sock").path
            worker.arguments = ["--socket", socket]
            worker.environment = [
                "DINTERO_CLIENT_ID": "client", "DINTERO_CLIENT_SECRET": "secret", "DINTERO_ACCOUNT_ID": "P00000001",
                "PAYMENTS_API_KEY": "fidelity-key-0123456789", "PUBLIC_BASE_URL": "http://shop.example.com",
                "ORDERS_DB": FileManager.default.temporaryDirectory.appendingPathComponent("refused-\(UUID().uuidString.prefix(8)).sqlite").path,
            ]
            let output = Pipe()
            worker.standardOutput = output
            worker.standardError = output
            try worker.run()
            if !worker.waitForExit(timeout: 30) { kill(worker.processIdentifier, SIGKILL) }
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(worker.terminationStatus == 78, "\(said)")
            #expect(said.contains("PUBLIC_BASE_URL") && said.contains("HTTPS"), "\(said)")
        }

        /// Point 5: a token request answered 429 (a listed answer) is not a refusal of the call
        /// it was for: a capture is recorded not sent and answered 503 + Retry-After, and its
        /// retry captures once; a callback being verified is answered 503 + Retry-After, so
        /// Dintero calls again, and the next call settles the order.
        @Test func aTokenAnswered429IsRetryable() throws {
            try StackHarness.withStack(sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { _, shop in
                let (id, transactionID) = try LifecycleTests.paidOrder(shop)
                try Self.tokenRefused(shop)
                let refused = try LifecycleTests.post(shop, "/orders/\(id)/capture", key: "capture-429")
                #expect(refused.status == 503, "\(refused.text)")
                #expect(refused.header("Retry-After") != nil)
                let events = try shop.http.get("/orders/\(id)/events").json
                #expect(events["operations"]?.arrayValue?.first?["state"]?.stringValue == "not_sent", "\(events)")
                let retried = try LifecycleTests.post(shop, "/orders/\(id)/capture", key: "capture-429")
                #expect(retried.status == 200, "\(retried.text)")
                #expect(retried.json["status"]?.stringValue == "CAPTURED")
                #expect(try LifecycleTests.sandboxEvents(shop, transactionID, named: "CAPTURE").count == 1)

                let order = try shop.createOrder()
                let pending = try #require(order["id"]?.stringValue)
                let location = try shop.checkout(order)
                let transaction = try #require(URLComponents(string: location)?.value("transaction_id"))
                try Self.tokenRefused(shop)
                let callback = try shop.http.get("/orders/\(pending)/callback?transaction_id=\(transaction)")
                #expect(callback.status == 503, "\(callback.text)")
                #expect(callback.header("Retry-After") == "2")
                #expect(try shop.status(pending) == "PENDING")
                #expect(try shop.http.get("/orders/\(pending)/callback?transaction_id=\(transaction)").status == 200)
                #expect(try shop.status(pending) == "AUTHORIZED")
            }
        }

        /// The sandbox forgets every token, so the next call needs a new one, and refuses that
        /// token request once with 429.
        static func tokenRefused(_ shop: Shop) throws {
            #expect(try shop.http.postJSON("\(shop.sandbox)/__sandbox/expire-tokens", "{}").status == 200)
            try shop.injectFault(#"{"endpoint":"token","status":429,"count":1,"body":"{\"error\":{\"message\":\"too many requests\"}}"}"#)
        }

        /// When Dintero's callback about an operation reaches the service, relative to the
        /// operation's own 200.
        enum CallbackTiming: String, CaseIterable, Sendable {
            /// Dintero applies the operation and calls back; its answer to us is held until the
            /// callback has been handled.
            case before
            /// The callback is sent the moment the operation is applied, racing the 200.
            case during
            /// Handled after the service recorded the 200: the same callback, delivered late.
            case after
        }

        /// Point 2: Dintero calls back (`report_event`) after a capture or refund it applied,
        /// whoever asked for it. Before, during or after the service's own 200, the capture and
        /// the refund are counted once and the order's history has one change each.
        @Test(arguments: CallbackTiming.allCases)
        func callbacksAfterOurOwnOperationsCountNothingTwice(timing: CallbackTiming) throws {
            // "after": the sandbox's own callbacks are off, and the test delivers Dintero's
            // callback itself once the 200 is in (the stack's callbacks are not signed).
            let sandbox = timing == .after ? ["SANDBOX_CALLBACK_ATTEMPTS": "0"] : ["SANDBOX_CALLBACK_DELAY_SECONDS": "0"]
            try StackHarness.withStack(sandboxEnvironment: sandbox) { _, shop in
                let (id, transactionID) = try LifecycleTests.paidOrder(shop, amount: 10000)
                func delivered() throws -> Int { Int(try shop.sandboxStats()["callbacks_delivered"]?.integerValue ?? -1) }
                // The payment's own callback first, so each count below is the operation's.
                if timing != .after { #expect(shop.eventually(timeout: 30) { (try? delivered()) == 1 }) }
                for (kind, body, status) in [("capture", "", "CAPTURED"), ("refund", #"{"amount": 4000}"#, "PARTIALLY_REFUNDED")] {
                    let before = try delivered()
                    let answer: TransportResponse
                    switch timing {
                    case .before:
                        try shop.injectFault(#"{"endpoint":"\#(kind)","hold":true,"after_effect":true,"count":1}"#)
                        let response = Mutex<TransportResponse?>(nil)
                        let done = DispatchSemaphore(value: 0)
                        Thread.detachNewThread {
                            let result = try? LifecycleTests.post(shop, "/orders/\(id)/\(kind)", body)
                            response.withLock { $0 = result }
                            done.signal()
                        }
                        #expect(shop.eventually(timeout: 30) { (try? shop.held(kind)) == 1 })
                        #expect(shop.eventually(timeout: 30) { (try? delivered()) == before + 1 })
                        #expect(try shop.release() == 1)
                        done.wait()
                        answer = try #require(response.withLock { $0 })
                    case .during:
                        answer = try LifecycleTests.post(shop, "/orders/\(id)/\(kind)", body)
                        #expect(shop.eventually(timeout: 30) { (try? delivered()) == before + 1 })
                    case .after:
                        answer = try LifecycleTests.post(shop, "/orders/\(id)/\(kind)", body)
                        let late = "/orders/\(id)/callback?transaction_id=\(transactionID)&merchant_reference=\(id)&event=\(kind.uppercased())"
                        #expect(try shop.http.get(late).status == 200)
                    }
                    #expect(answer.status == 200, "\(kind): \(answer.text)")
                    #expect(answer.json["status"]?.stringValue == status, "\(kind): \(answer.text)")
                    #expect(try shop.status(id) == status)
                }
                let order = try shop.http.get("/orders/\(id)").json
                #expect(order["captured_amount"]?.integerValue == 10000)
                #expect(order["refunded_amount"]?.integerValue == 4000)
                let history = try shop.http.get("/orders/\(id)/events").json
                // Status changes only (an operation's own entries keep the status: from == to).
                let changes = (history["events"]?.arrayValue ?? []).filter { $0["from"] != $0["to"] }.compactMap { $0["to"]?.stringValue }
                #expect(changes.filter { $0 == "CAPTURED" }.count == 1, "\(changes)")
                #expect(changes.filter { $0 == "PARTIALLY_REFUNDED" }.count == 1, "\(changes)")
                let operations = history["operations"]?.arrayValue ?? []
                #expect(operations.count == 2 && operations.allSatisfy { $0["state"]?.stringValue == "succeeded" }, "\(operations)")
                #expect(try LifecycleTests.sandboxEvents(shop, transactionID, named: "CAPTURE").count == 1)
                #expect(try LifecycleTests.sandboxEvents(shop, transactionID, named: "REFUND").count == 1)
            }
        }

        /// Point 1: Dintero voids the payment of a session cancelled after it was paid. A session
        /// already paid is refused before Dintero is asked (the payment stands, and the order
        /// learns of it); one paid in the moment between the service's read and its cancel is
        /// voided by Dintero, and the order says so, then and after the shopper's return.
        @Test func aCancelRacingAPaymentEndsAsDinteroHasIt() throws {
            try StackHarness.withStack(sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { _, shop in
                let early = try shop.createOrder()
                let earlyID = try #require(early["id"]?.stringValue)
                let earlyReturn = try shop.checkout(early)  // paid; the shopper has not come back yet
                let refused = try LifecycleTests.post(shop, "/orders/\(earlyID)/cancel")
                #expect(refused.status == 409, "\(refused.text)")
                #expect(try shop.status(earlyID) == "AUTHORIZED")
                let earlyTransaction = try #require(URLComponents(string: earlyReturn)?.value("transaction_id"))
                #expect(try LifecycleTests.sandboxEvents(shop, earlyTransaction, named: "VOID").isEmpty)

                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                // The service reads the session (unpaid), then its cancel is held while the shopper pays.
                try shop.injectFault(#"{"endpoint":"sessions","hold":true,"skip":1,"count":1}"#)
                let answer = Mutex<TransportResponse?>(nil)
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let result = try? LifecycleTests.post(shop, "/orders/\(id)/cancel")
                    answer.withLock { $0 = result }
                    done.signal()
                }
                #expect(shop.eventually(timeout: 30) { (try? shop.held("sessions")) == 1 })
                let location = try shop.checkout(order)
                #expect(try shop.release() == 1)
                done.wait()
                let cancelled = try #require(answer.withLock { $0 })
                #expect(cancelled.status == 200, "\(cancelled.text)")
                #expect(cancelled.json["status"]?.stringValue == "AUTHORIZATION_VOIDED", "\(cancelled.text)")
                let transactionID = try #require(URLComponents(string: location)?.value("transaction_id"))
                #expect(try LifecycleTests.sandboxEvents(shop, transactionID, named: "VOID").count == 1)
                #expect(try shop.http.get("\(shop.sandbox)/__sandbox/transactions/\(transactionID)").json["status"]?.stringValue == "AUTHORIZATION_VOIDED")
                // The shopper's return then agrees with Dintero: released, nothing charged.
                let back = try shop.http.get(location)
                #expect(back.json["order"]?["status"]?.stringValue == "AUTHORIZATION_VOIDED")
                #expect(try shop.status(id) == "AUTHORIZATION_VOIDED")
            }
        }

        /// Point 6: documents in the spec's shapes. A session carries its `configuration` and
        /// events named from the spec's enum (a captured or on-hold payment completes it); a
        /// transaction's events leave out what they lack instead of `null`; a token request for
        /// another account is 403 (the spec lists no 404).
        @Test func documentsHaveTheSpecsShapes() throws {
            try StackHarness.withStack(sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { _, shop in
                let credentials = Data("sandbox-client:sandbox-secret".utf8).base64EncodedString()
                func token(_ account: String) throws -> TransportResponse {
                    try shop.http.send(
                        "POST", "\(shop.sandbox)/v1/accounts/\(account)/auth/token",
                        body: Array(#"{"grant_type": "client_credentials", "audience": "https://test.dintero.com/v1/accounts/\#(account)"}"#.utf8),
                        headers: [("Authorization", "Basic \(credentials)"), ("Content-Type", "application/json")]
                    )
                }
                let other = try token("T99999999")
                #expect(other.status == 403)
                #expect(other.json["error"]?["message"]?.stringValue != nil)
                let bearer = try #require(try token("T12345678").json["access_token"]?.stringValue)
                let sessionNames: Set<String> = ["INITIATED", "VISITED", "COMPLETED", "AUTHORIZED", "DECLINED", "FAILED", "CANCELLED"]
                for outcome in ["CAPTURED", "ON_HOLD", "AUTHORIZED"] {
                    let order = try shop.createOrder()
                    let location = try shop.checkout(order, outcome: outcome)
                    let query = try #require(URLComponents(string: location))
                    let sessionID = try #require(query.value("session_id")), transactionID = try #require(query.value("transaction_id"))
                    let session = try shop.http.send("GET", "\(shop.sandbox)/v1/sessions/\(sessionID)", headers: [("Authorization", "Bearer \(bearer)")]).json
                    #expect(session["configuration"]?.objectMembers != nil)
                    let names = (session["events"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                    #expect(!names.isEmpty && names.allSatisfy(sessionNames.contains), "\(outcome): \(names)")
                    let transaction = try shop.http.send("GET", "\(shop.sandbox)/v1/transactions/\(transactionID)", headers: [("Authorization", "Bearer \(bearer)")]).json
                    for event in transaction["events"]?.arrayValue ?? [] {
                        #expect(!(event.objectMembers ?? []).contains { $0.1 == .null }, "\(event)")
                    }
                }
            }
        }

        /// Point 4: an operation Dintero accepts for later (202) answers with the transaction
        /// as it stands (the spec's TransactionOperationAccepted), with its `event-request-id`.
        @Test func anAcceptedOperationAnswersWithTheTransaction() throws {
            try StackHarness.withStack { _, shop in
                let (_, transactionID) = try LifecycleTests.paidOrder(shop)
                #expect(try shop.http.postJSON("\(shop.sandbox)/__sandbox/operation-mode", #"{"asynchronous": true, "delay_ms": 0}"#).status == 200)
                let credentials = Data("sandbox-client:sandbox-secret".utf8).base64EncodedString()
                let token = try shop.http.send(
                    "POST", "\(shop.sandbox)/v1/accounts/T12345678/auth/token",
                    body: Array(#"{"grant_type": "client_credentials", "audience": "https://test.dintero.com/v1/accounts/T12345678"}"#.utf8),
                    headers: [("Authorization", "Basic \(credentials)"), ("Content-Type", "application/json")]
                ).json["access_token"]?.stringValue
                let accepted = try shop.http.send(
                    "POST", "\(shop.sandbox)/v1/transactions/\(transactionID)/capture",
                    body: Array(#"{"amount": 29900}"#.utf8),
                    headers: [("Authorization", "Bearer \(try #require(token))"), ("Content-Type", "application/json")]
                )
                #expect(accepted.status == 202)
                #expect(accepted.header("event-request-id") != nil)
                #expect(accepted.json["id"]?.stringValue == transactionID)
                #expect(accepted.json["status"]?.stringValue != nil && accepted.json["amount"]?.integerValue == 29900)
            }
        }
    }
}
