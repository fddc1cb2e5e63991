import Foundation
import HTTPKit
import LocalStack
import PaymentsDomain
import ServiceSupport
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// Capture, refund, void, cancel, reconciliation and signed callbacks through nginx against
    /// the sandbox's Dintero rules.
    @Suite struct LifecycleTests {
        /// An order paid (AUTHORIZED) through the hosted page and the shopper's return.
        static func paidOrder(_ shop: Shop, amount: Int = 29900) throws -> (id: String, transactionID: String) {
            let order = try shop.createOrder(amount: amount)
            let location = try shop.checkout(order)
            let back = try shop.http.get(location)
            guard back.status == 200, let id = order["id"]?.stringValue,
                  let transactionID = URLComponents(string: location)?.value("transaction_id") else {
                throw Failure("paying answered \(back.status): \(back.text)")
            }
            return (id, transactionID)
        }

        /// The sandbox's record of a transaction: its events, as Dintero keeps them.
        static func sandboxEvents(_ shop: Shop, _ transactionID: String, named name: String) throws -> [JSONValue] {
            let transaction = try shop.http.get("\(shop.sandbox)/__sandbox/transactions/\(transactionID)").json
            return (transaction["events"]?.arrayValue ?? []).filter { $0["event"]?.stringValue == name }
        }

        static func post(_ shop: Shop, _ path: String, _ body: String = "", key: String? = nil) throws -> TransportResponse {
            var headers: HTTPFields = [:]
            if let key { headers.append("Idempotency-Key", key) }
            return body.isEmpty
                ? try shop.http.send("POST", "\(shop.base)\(path)", headers: headers)
                : try shop.http.postJSON("\(shop.base)\(path)", body, headers: headers)
        }

        @Test func partialAndFullCapturesThenRefunds() throws {
            try StackHarness.withStack { _, shop in
                let (id, transactionID) = try Self.paidOrder(shop)
                var response = try Self.post(shop, "/orders/\(id)/capture", #"{"amount": 10000}"#)
                #expect(response.status == 200, "\(response.text)")
                #expect(response.json["status"]?.stringValue == "PARTIALLY_CAPTURED")
                #expect(response.json["captured_amount"]?.integerValue == 10000)
                #expect(response.json["operations"]?.arrayValue?.first?["state"]?.stringValue == "succeeded")

                response = try Self.post(shop, "/orders/\(id)/capture")  // the rest
                #expect(response.json["status"]?.stringValue == "CAPTURED")
                #expect(response.json["captured_amount"]?.integerValue == 29900)

                response = try Self.post(shop, "/orders/\(id)/refund", #"{"amount": 5000, "reason": "one item returned"}"#)
                #expect(response.json["status"]?.stringValue == "PARTIALLY_REFUNDED")
                #expect(response.json["refunded_amount"]?.integerValue == 5000)
                response = try Self.post(shop, "/orders/\(id)/refund")
                #expect(response.json["status"]?.stringValue == "REFUNDED")
                #expect(response.json["refunded_amount"]?.integerValue == 29900)

                #expect(try Self.sandboxEvents(shop, transactionID, named: "CAPTURE").compactMap { $0["amount"]?.integerValue } == [10000, 19900])
                #expect(try Self.sandboxEvents(shop, transactionID, named: "REFUND").compactMap { $0["amount"]?.integerValue } == [5000, 24900])

                let history = try shop.http.get("\(shop.base)/orders/\(id)/events").json
                let statuses = history["events"]?.arrayValue?.map { $0["to"]?.stringValue ?? "" } ?? []
                #expect(statuses.first == "CREATED")
                #expect(statuses.last == "REFUNDED")
                #expect(statuses.contains("PARTIALLY_CAPTURED") && statuses.contains("PARTIALLY_REFUNDED"))
                #expect(history["operations"]?.arrayValue?.map { $0["kind"]?.stringValue ?? "" } == ["capture", "capture", "refund", "refund"])
                #expect(history["operations"]?.arrayValue?.allSatisfy { $0["state"]?.stringValue == "succeeded" } == true)
            }
        }

        @Test func voidBeforeCaptureAndTheAmountRules() throws {
            try StackHarness.withStack { _, shop in
                let (id, transactionID) = try Self.paidOrder(shop)
                // Refund before any capture: nothing to refund (409, the rule named), Dintero not asked.
                var response = try Self.post(shop, "/orders/\(id)/refund", #"{"amount": 100}"#)
                #expect(response.status == 409)
                #expect(response.json["rule"]?.stringValue == "status")
                // Capture more than authorized: 422 naming the rule and the field.
                response = try Self.post(shop, "/orders/\(id)/capture", #"{"amount": 30000}"#)
                #expect(response.status == 422)
                #expect(response.json["rule"]?.stringValue == "capture_within_authorized_remainder")
                #expect(response.json["field"]?.stringValue == "amount")
                #expect(try Self.sandboxEvents(shop, transactionID, named: "CAPTURE").isEmpty)
                // A bad body is a 400 naming the field.
                response = try Self.post(shop, "/orders/\(id)/capture", #"{"amount": -5}"#)
                #expect(response.status == 400)
                #expect(response.json["field"]?.stringValue == "amount")

                response = try Self.post(shop, "/orders/\(id)/void")
                #expect(response.status == 200)
                #expect(response.json["status"]?.stringValue == "AUTHORIZATION_VOIDED")
                #expect(try Self.sandboxEvents(shop, transactionID, named: "VOID").count == 1)
                response = try Self.post(shop, "/orders/\(id)/capture")
                #expect(response.status == 409)

                // Refund above the captured remainder, and void after a capture.
                let (other, _) = try Self.paidOrder(shop)
                #expect(try Self.post(shop, "/orders/\(other)/capture", #"{"amount": 1000}"#).status == 200)
                response = try Self.post(shop, "/orders/\(other)/refund", #"{"amount": 1001}"#)
                #expect(response.status == 422)
                #expect(response.json["rule"]?.stringValue == "refund_within_captured_remainder")
                response = try Self.post(shop, "/orders/\(other)/void")
                #expect(response.status == 409)
                #expect(response.json["rule"]?.stringValue == "void_before_capture")
            }
        }

        @Test func cancelAPendingOrder() throws {
            try StackHarness.withStack { _, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                let response = try Self.post(shop, "/orders/\(id)/cancel")
                #expect(response.status == 200)
                #expect(response.json["status"]?.stringValue == "CANCELLED")
                // Dintero's session is cancelled too: the hosted page refuses payment.
                let link = try #require(order["links"]?.arrayValue?.first?["href"]?.stringValue)
                #expect(try shop.http.get(link, accept: "text/html").status == 410)
                #expect(try Self.post(shop, "/orders/\(id)/cancel").status == 409)
                let (paid, _) = try Self.paidOrder(shop)
                let refused = try Self.post(shop, "/orders/\(paid)/cancel")
                #expect(refused.status == 409)
                #expect(refused.json["rule"]?.stringValue == "cancel_only_pending")
            }
        }

        /// The cancel's answer is lost (Dintero cancelled the session, the service saw a 5xx):
        /// 503, and the retry finds the session cancelled and completes the cancel.
        @Test func aCancelRetriedAfterALostAnswerCompletes() throws {
            try StackHarness.withStack { _, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                // The cancel (after the service's read of the session) takes effect, its answer is lost.
                try shop.injectFault(#"{"endpoint":"sessions","status":504,"after_effect":true,"skip":1,"count":1}"#)
                let first = try Self.post(shop, "/orders/\(id)/cancel")
                #expect(first.status == 503, "\(first.text)")
                #expect(first.header("Retry-After") != nil)
                #expect(try shop.status(id) == "PENDING")
                let retry = try Self.post(shop, "/orders/\(id)/cancel")
                #expect(retry.status == 200, "\(retry.text)")
                #expect(retry.json["status"]?.stringValue == "CANCELLED")
                #expect(try shop.status(id) == "CANCELLED")
                // Once cancelled, a further cancel names the real status.
                let again = try Self.post(shop, "/orders/\(id)/cancel")
                #expect(again.status == 409)
                #expect(again.json["detail"]?.stringValue?.contains("this one is CANCELLED") == true, "\(again.text)")
            }
        }

        /// The capture's answer is lost (Dintero slower than our timeout, but it did capture).
        /// The retry with the same key reads the transaction's events and finds the capture:
        /// one capture in Dintero, the order CAPTURED. The sandbox holds the capture until the
        /// service has given up on it, so no race between the two clocks decides the outcome.
        @Test func aTimedOutCaptureRetriedWithTheSameKeyCapturesOnce() throws {
            try StackHarness.withStack(workerEnvironment: ["DINTERO_TIMEOUT_SECONDS": "1"]) { _, shop in
                let (id, transactionID) = try Self.paidOrder(shop)
                try shop.injectFault(#"{"endpoint":"capture","hold":true,"count":1}"#)
                let first = try Self.post(shop, "/orders/\(id)/capture", key: "capture-1")
                #expect(first.status == 503, "\(first.text)")
                #expect(first.header("Retry-After") != nil)
                #expect(first.json["operation"]?["state"]?.stringValue == "requested")
                // Dintero does the capture after all; its answer reaches nobody.
                #expect(try shop.release() == 1)
                #expect(shop.eventually(timeout: 30) { (try? Self.sandboxEvents(shop, transactionID, named: "CAPTURE").count) == 1 })
                let retry = try Self.post(shop, "/orders/\(id)/capture", key: "capture-1")
                #expect(retry.status == 200, "\(retry.text)")
                #expect(retry.json["status"]?.stringValue == "CAPTURED")
                #expect(try Self.sandboxEvents(shop, transactionID, named: "CAPTURE").count == 1)
                let replay = try Self.post(shop, "/orders/\(id)/capture", key: "capture-1")
                #expect(replay.header("Idempotent-Replayed") == "true")
                #expect(try Self.sandboxEvents(shop, transactionID, named: "CAPTURE").count == 1)
            }
        }

        @Test func concurrentCapturesOneWins() throws {
            try StackHarness.withStack { _, shop in
                let (id, transactionID) = try Self.paidOrder(shop)
                let statuses = Mutex<[Int]>([])
                DispatchQueue.concurrentPerform(iterations: 8) { _ in
                    let status = (try? Self.post(shop, "/orders/\(id)/capture"))?.status.code ?? -1
                    statuses.withLock { $0.append(status) }
                }
                let all = statuses.withLock { $0 }
                #expect(all.filter { $0 == 200 }.count == 1, "\(all)")
                #expect(all.filter { $0 == 409 }.count == 7, "\(all)")
                #expect(try Self.sandboxEvents(shop, transactionID, named: "CAPTURE").count == 1)
                #expect(try shop.http.get("\(shop.base)/orders/\(id)").json["captured_amount"]?.integerValue == 29900)
            }
        }

        /// Dintero answers 202: the order shows the capture pending until the transaction's
        /// event arrives (here through the report_event callback).
        @Test func anAsynchronousCaptureIsPendingUntilItsEventArrives() throws {
            try StackHarness.withStack { _, shop in
                let (id, _) = try Self.paidOrder(shop)
                #expect(try shop.http.postJSON("\(shop.sandbox)/__sandbox/operation-mode", #"{"asynchronous": true, "delay_ms": 500}"#).status == 200)
                let accepted = try Self.post(shop, "/orders/\(id)/capture")
                #expect(accepted.status == 202, "\(accepted.text)")
                #expect(accepted.json["status"]?.stringValue == "AUTHORIZED")
                #expect(accepted.json["operations"]?.arrayValue?.first?["state"]?.stringValue == "pending")
                #expect(try shop.http.get("\(shop.base)/orders/\(id)").json["operations"]?.arrayValue?.first?["state"]?.stringValue == "pending")
                #expect(shop.eventually(timeout: 10) {
                    let order = try? shop.http.get("\(shop.base)/orders/\(id)").json
                    return order?["status"]?.stringValue == "CAPTURED" && order?["operations"]?.arrayValue?.first?["state"]?.stringValue == "succeeded"
                })
            }
        }

        /// A refund made in Dintero's back office reaches the order through the report_event
        /// callback.
        @Test func aBackOfficeRefundIsPickedUp() throws {
            try StackHarness.withStack { _, shop in
                let (id, transactionID) = try Self.paidOrder(shop)
                #expect(try Self.post(shop, "/orders/\(id)/capture").status == 200)
                let refund = try shop.http.postJSON("\(shop.sandbox)/__sandbox/transactions/\(transactionID)/back-office-refund", #"{"amount": 2500}"#)
                #expect(refund.status == 200)
                #expect(shop.eventually(timeout: 10) {
                    let order = try? shop.http.get("\(shop.base)/orders/\(id)").json
                    return order?["status"]?.stringValue == "PARTIALLY_REFUNDED" && order?["refunded_amount"]?.integerValue == 2500
                })
            }
        }

        /// No callbacks at all and the shopper never comes back: the reconciler reads the
        /// session and transaction and the order still ends in its true state; a back-office
        /// refund is found by reading paid orders again; an unpaid session past its expiry ends EXPIRED.
        @Test func lostCallbacksAreReconciled() throws {
            try StackHarness.withStack(
                workerEnvironment: [
                    "SWEEP_INTERVAL_SECONDS": "0.3", "RECONCILE_PENDING_AFTER_SECONDS": "0.5",
                    "RECONCILE_PAID_EVERY_SECONDS": "0.5", "SESSION_EXPIRES_SECONDS": "2",
                ],
                sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]
            ) { _, shop in
                let paid = try shop.createOrder()
                let paidID = try #require(paid["id"]?.stringValue)
                let location = try shop.checkout(paid)  // paid, but the browser never returns
                let transactionID = try #require(URLComponents(string: location)?.value("transaction_id"))
                let unpaid = try #require(try shop.createOrder()["id"]?.stringValue)
                #expect(try shop.status(paidID) == "PENDING")
                #expect(shop.eventually(timeout: 10) { (try? shop.status(paidID)) == "AUTHORIZED" })
                #expect(shop.eventually(timeout: 10) { (try? shop.status(unpaid)) == "EXPIRED" })

                #expect(try Self.post(shop, "/orders/\(paidID)/capture").status == 200)
                _ = try shop.http.postJSON("\(shop.sandbox)/__sandbox/transactions/\(transactionID)/back-office-refund", #"{"amount": 29900}"#)
                #expect(shop.eventually(timeout: 10) { (try? shop.status(paidID)) == "REFUNDED" })
                let sources = try shop.http.get("\(shop.base)/orders/\(paidID)/events").json["events"]?.arrayValue?.compactMap { $0["source"]?.stringValue }
                #expect(sources?.filter { $0 == "reconcile" }.count == 2, "\(sources ?? [])")
            }
        }

        /// With a callback secret, the sandbox signs its callbacks and the service checks them:
        /// a real callback settles the order; missing, stale and tampered signatures are refused
        /// with 401 before Dintero is asked anything.
        @Test func signedCallbacks() throws {
            try StackHarness.withStack(
                workerEnvironment: ["DINTERO_CALLBACK_SECRET": "s3cret-for-tests"],
                sandboxEnvironment: ["SANDBOX_CALLBACK_SECRET": "s3cret-for-tests"]
            ) { stack, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                let location = try shop.checkout(order)  // the signed callback alone settles it
                let transactionID = try #require(URLComponents(string: location)?.value("transaction_id"))
                #expect(shop.eventually(timeout: 10) { (try? shop.status(id)) == "AUTHORIZED" })

                let path = "/orders/\(id)/callback"
                let query = "transaction_id=\(transactionID)&merchant_reference=\(id)"
                let signer = CallbackSignature(secret: "s3cret-for-tests", accountID: "T12345678")
                let host = try #require(URL(string: stack.baseURL)?.host) + ":\(stack.configuration.port)"
                let now = Int64(Date().timeIntervalSince1970)
                let cases: [(String, String?)] = [
                    ("missing", nil),
                    ("malformed", "t=abc,v0-hmac-sha256=zz"),
                    ("stale", signer.header(timestamp: now - 600, method: "GET", host: host, path: path, query: query)),
                    ("tampered", signer.header(timestamp: now, method: "GET", host: host, path: path, query: query + "&error=x")),
                    ("wrong secret", CallbackSignature(secret: "other", accountID: "T12345678").header(timestamp: now, method: "GET", host: host, path: path, query: query)),
                ]
                for (name, header) in cases {
                    let response = try shop.http.get("\(shop.base)\(path)?\(query)", headers: header.map { [("Dintero-Signature", $0)] } ?? [:])
                    #expect(response.status == 401, "\(name): \(response.status) \(response.text)")
                    #expect(response.json["field"]?.stringValue == "Dintero-Signature", "\(name)")
                }
                let good = try shop.http.get("\(shop.base)\(path)?\(query)", headers: [("Dintero-Signature", signer.header(timestamp: now, method: "GET", host: host, path: path, query: query))])
                #expect(good.status == 200, "\(good.text)")
            }
        }
    }
}
