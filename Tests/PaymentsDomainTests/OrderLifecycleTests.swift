import Dintero
import Foundation
import PaymentsAPI
import PaymentsDomain
import PaymentsSQL
import ServiceSupport
import SQLite
import Testing
import TestSupport

/// The lifecycle rules on the real SQLite store with a scripted gateway and a manual clock.
@Suite struct OrderLifecycleTests {
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    let gateway = FakeGateway()
    let store: SQLOrderStore<Connection>
    let service: OrderService

    init() throws {
        (store, _) = try temporaryStore()
        service = OrderService(store: store, gateway: gateway, routes: OrderReturnURLs(publicBaseURL: "https://shop.example"), clock: clock, log: testLog, resendAfter: 30)
    }

    /// An AUTHORIZED order of 10000 with its transaction known to the gateway.
    func authorizedOrder() throws -> Order {
        let order = try service.create(CreateOrderInput(amount: 10_000, currency: "NOK", receipt: nil))
        let transaction = GatewayTransaction(
            id: "T1.tx-\(order.id.prefix(8))", status: .authorized, amount: 10_000, currency: "NOK", merchantReference: order.id,
            sessionID: order.sessionID, events: [.init(operation: nil, success: true, amount: 10_000)]
        )
        gateway.transactions[transaction.id] = transaction
        let outcome = try service.verifyReturn(orderID: order.id, claim: .init(transactionID: transaction.id, error: nil), source: .redirect)
        return try #require(outcome?.order)
    }

    /// A transaction proves payment of an order only through the order's own session.
    @Test func onlyATransactionOnTheOrdersSessionMatches() throws {
        let order = try service.create(CreateOrderInput(amount: 10_000, currency: "NOK", receipt: nil))
        let session = try #require(order.sessionID)
        func transaction(session: String?) -> GatewayTransaction {
            GatewayTransaction(id: "T1.x", status: .authorized, amount: 10_000, currency: "NOK", merchantReference: order.id, sessionID: session)
        }
        #expect(OrderService.mismatch(transaction(session: session), order) == nil)
        #expect(OrderService.mismatch(transaction(session: nil), order)?.contains("session none") == true)
        #expect(OrderService.mismatch(transaction(session: "other"), order)?.contains("session other") == true)
        var withoutSession = order
        withoutSession.sessionID = nil
        #expect(OrderService.mismatch(transaction(session: session), withoutSession) != nil)

        gateway.transactions["T1.x"] = transaction(session: nil)
        let outcome = try service.verifyReturn(orderID: order.id, claim: .init(transactionID: "T1.x", error: nil), source: .callback)
        #expect(outcome == .unverified(order))
        #expect(try store.order(id: order.id)?.status == .pending)
    }

    /// A store whose locked order changes anyway fails that one request, not the worker.
    @Test func aStoreThatBreaksItsLockFailsTheRequestOnly() throws {
        struct Broken: OrderWriteTransaction {
            let order: Order
            func lockedOrder(id: String) throws -> Order? { order }
            func update(_ next: Order, whereStatus previous: OrderStatus) throws -> Int { 0 }
            func record(_ event: OrderEvent, orderID: String) throws {}
            func openOperations(orderID: String) throws -> [OrderOperation] { [] }
            func insert(_ operation: OrderOperation) throws {}
            func lockedOperation(id: String) throws -> OrderOperation? { nil }
            func apply(_ update: OperationUpdate, at time: Int64) throws {}
            func link(_ link: IdempotencyLink, to resourceID: String) throws {}
        }
        let order = try service.create(CreateOrderInput(amount: 10_000, currency: "NOK", receipt: nil))
        let change = OrderStatusChange(orderID: order.id, status: .cancelled, verified: false, source: "test", at: 1)
        #expect(throws: OrderService.Failure.inconsistentStore(orderID: order.id)) { try change.apply(in: Broken(order: order)) }
    }

    @Test func anOlderSnapshotNeverLowersTheTotals() throws {
        var order = try authorizedOrder()
        order.status = .partiallyRefunded
        order.capturedAmount = 10_000
        order.refundedAmount = 3_000
        let stale = OrderStatusChange(orderID: order.id, status: .captured, transactionID: order.transactionID, verified: true, source: "callback", at: 1, capturedAmount: 10_000, refundedAmount: 0)
        #expect(stale.decide(for: order) == .refuse)
        let more = OrderStatusChange(orderID: order.id, status: .partiallyRefunded, transactionID: order.transactionID, verified: true, source: "callback", at: 1, capturedAmount: 10_000, refundedAmount: 4_000)
        guard case .apply(let next) = more.decide(for: order) else { Issue.record("a larger refund total applies"); return }
        #expect(next.refundedAmount == 4_000)
        let same = OrderStatusChange(orderID: order.id, status: .partiallyRefunded, transactionID: order.transactionID, verified: true, source: "callback", at: 1, capturedAmount: 10_000, refundedAmount: 3_000)
        #expect(same.decide(for: order) == .keep)
    }

    @Test func theRulesAreCheckedBeforeDinteroIsAsked() throws {
        let order = try authorizedOrder()
        #expect(throws: OrderService.OperationFailure.refused(order, .exceedsCapturable(requested: 10_001, available: 10_000))) {
            try service.perform(.capture, orderID: order.id, amount: 10_001)
        }
        #expect(throws: OrderService.OperationFailure.refused(order, .wrongStatus(kind: .refund, status: .authorized))) {
            try service.perform(.refund, orderID: order.id, amount: nil)
        }
        #expect(gateway.operations.isEmpty)
        guard case .done(let captured, _) = try service.perform(.capture, orderID: order.id, amount: 4_000) else { Issue.record("capture"); return }
        #expect(captured.status == .partiallyCaptured)
        #expect(throws: OrderService.OperationFailure.refused(captured, .voidAfterCapture)) { try service.perform(.void, orderID: order.id, amount: nil) }
        guard case .done(let refunded, _) = try service.perform(.refund, orderID: order.id, amount: nil) else { Issue.record("refund"); return }
        #expect(refunded.status == .partiallyCapturedRefunded)
        #expect(refunded.refundedAmount == 4_000)
        #expect(gateway.operations.map(\.amount) == [4_000, 4_000])
    }

    /// The answer is lost; a retry with the key reads the transaction first and finds the
    /// capture: one capture. Another lost answer with no trace is not sent again until
    /// Dintero cannot still be working on it.
    @Test func aLostAnswerIsLookedUpBeforeAnyResend() throws {
        let order = try authorizedOrder()
        gateway.losesAnswers = true
        var operationID = ""
        do {
            _ = try service.perform(.capture, orderID: order.id, amount: nil)
            Issue.record("the lost answer must surface")
        } catch OrderService.OperationFailure.outcomeUnknown(_, let operation, .timedOut) {
            operationID = operation.id
        }
        gateway.losesAnswers = false
        guard case .done(let done, let operation) = try service.resumeOperation(id: operationID) else { Issue.record("resume"); return }
        #expect(done.status == .captured)
        #expect(operation.state == .succeeded)
        #expect(gateway.operations.count == 1)

        // A refund whose request never reached Dintero: the transaction has no trace of it.
        gateway.operationError = .timedOut
        var refundID = ""
        do {
            _ = try service.perform(.refund, orderID: order.id, amount: 1_000)
        } catch OrderService.OperationFailure.outcomeUnknown(_, let operation, _) {
            refundID = operation.id
        }
        gateway.operationError = nil
        #expect(throws: OrderService.OperationFailure.self) { try service.resumeOperation(id: refundID) }
        #expect(gateway.operations.filter { $0.kind == .refund }.count == 1, "not sent again while Dintero may still be working on it")
        // Another request (no key) meanwhile: one operation at a time.
        #expect(throws: OrderService.OperationFailure.self) { try service.perform(.refund, orderID: order.id, amount: 500) }
        clock.advance(by: 31)
        guard case .done(let refunded, _) = try service.resumeOperation(id: refundID) else { Issue.record("resend"); return }
        #expect(refunded.refundedAmount == 1_000)
        #expect(gateway.operations.filter { $0.kind == .refund }.map(\.reference) == [refundID, refundID])
    }

    @Test func notSentWhenBusyAndStartedAfreshOnRetry() throws {
        let order = try authorizedOrder()
        gateway.operationError = .busy(retryAfter: 2)
        var operationID = ""
        do {
            _ = try service.perform(.capture, orderID: order.id, amount: 2_000)
        } catch OrderService.OperationFailure.unavailable {
            operationID = try #require(try store.operations(orderID: order.id).last?.id)
        }
        #expect(try store.operation(id: operationID)?.state == .notSent)
        gateway.operationError = nil
        guard case .done(let captured, let operation) = try service.resumeOperation(id: operationID) else { Issue.record("retry"); return }
        #expect(captured.capturedAmount == 2_000)
        #expect(operation.id != operationID)
    }
}

@Suite struct CallbackSignatureTests {
    let signer = CallbackSignature(secret: "123", accountID: "P00000000")

    /// Dintero's published callback-signature vector: the query's parameters are sorted before signing.
    @Test func matchesTheTestVector() {
        #expect(signer.digest(timestamp: 1_582_236_537, method: "GET", host: "example.com", path: "/callback", query: "B=123&A=992")
                == "6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a")
        let header = "t=1582236537,v0-hmac-sha256=6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a"
        #expect(throws: Never.self) {
            try signer.verify(header, method: "GET", host: "example.com", path: "/callback", query: "B=123&A=992", now: 1_582_236_600).get()
        }
    }

    @Test func refusesMissingMalformedStaleAndTampered() {
        let header = signer.header(timestamp: 1_000_000, method: "GET", host: "shop", path: "/cb", query: "a=1")
        func verify(_ header: String?, query: String = "a=1", now: Int64 = 1_000_010) -> CallbackSignature.Failure? {
            if case .failure(let failure) = signer.verify(header, method: "GET", host: "shop", path: "/cb", query: query, now: now) { return failure }
            return nil
        }
        #expect(verify(header) == nil)
        #expect(verify(nil) == .missing)
        #expect(verify("v0-hmac-sha256=abc") == .malformed)
        #expect(verify("t=1000000,v0-hmac-sha256=xyz") == .malformed)
        #expect(verify(header, now: 1_000_301) == .outsideWindow)
        #expect(verify(header, now: 999_699) == .outsideWindow)
        #expect(verify(header, query: "a=2") == .mismatch)
        #expect(CallbackSignature.canonicalQuery("b=2&a=x%20y&&c=3") == "a=x+y&b=2&c=3")
    }
}
