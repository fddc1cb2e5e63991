import Foundation
import PaymentsDomain
import PaymentsSQL
import ServiceSupport
import Testing
import TestSupport

@Suite struct OrderDecisionTests {
    let pending = Order(id: "o", createdAt: 1, updatedAt: 1, amount: 100, currency: "NOK", receipt: nil, status: .pending, sessionID: "s", sessionURL: "u")

    func change(_ status: OrderStatus, transaction: String? = nil, verified: Bool = true) -> OrderStatusChange {
        OrderStatusChange(orderID: "o", status: status, transactionID: transaction, verified: verified, source: "test", at: 9)
    }

    @Test func appliesAllowedChangesWithTheirData() {
        guard case .apply(let next) = change(.authorized, transaction: "T1").decide(for: pending) else {
            Issue.record("expected apply")
            return
        }
        #expect(next.status == .authorized)
        #expect(next.transactionID == "T1")
        #expect(next.updatedAt == 9)
        #expect(next.sessionURL == "u")
    }

    @Test func keepsRepeatsAndRefusesOtherTransactionsAndBackwardMoves() {
        var paid = pending
        paid.status = .captured
        paid.transactionID = "T1"
        #expect(change(.captured, transaction: "T1").decide(for: paid) == .keep)
        #expect(change(.captured, transaction: "T2").decide(for: paid) == .refuse)
        #expect(change(.authorized, transaction: "T1").decide(for: paid) == .refuse)
        #expect(change(.cancelled, verified: false).decide(for: paid) == .refuse)
    }
}

@Suite struct CardPaymentServiceTests {
    @Test func interruptedPaymentsEndInErrorAfterTheGracePeriod() throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let store = SQLPaymentStore(connection: try temporaryDatabase())
        let service = CardPaymentService(store: store, provider: FakeProvider(), clock: clock, log: testLog)
        let payment = try service.create(CreatePaymentInput(reference: "r", amount: 100, returnURL: "http://a/b"))
        _ = try store.transition(transactionID: payment.transactionID, .claim, changes: PaymentChanges(), at: clock.now().epochMilliseconds)
        clock.advance(by: 50)
        #expect(try service.failInterrupted(olderThan: 70) == 0)
        clock.advance(by: 30)
        #expect(try service.failInterrupted(olderThan: 70) == 1)
        let failed = try #require(try store.payment(transactionID: payment.transactionID))
        #expect(failed.state == .error)
        #expect(failed.errorReason == "provider outcome unknown: processing was interrupted")
    }
}
