import PaymentsDomain
import Testing

@Suite struct OrderStatusTests {
    @Test func sessionCreationMoves() {
        #expect(OrderStatus.created.allows(.pending, hasTransaction: false, verified: false))
        #expect(OrderStatus.created.allows(.sessionFailed, hasTransaction: false, verified: false))
        #expect(!OrderStatus.created.allows(.authorized, hasTransaction: false, verified: true))
        #expect(!OrderStatus.sessionFailed.allows(.authorized, hasTransaction: false, verified: true))
        #expect(!OrderStatus.authorized.allows(.pending, hasTransaction: true, verified: true))
    }

    @Test func unverifiedOutcomesOnlyApplyToWaitingOrders() {
        #expect(OrderStatus.pending.allows(.cancelled, hasTransaction: false, verified: false))
        #expect(OrderStatus.pending.allows(.failed, hasTransaction: false, verified: false))
        #expect(!OrderStatus.authorized.allows(.cancelled, hasTransaction: true, verified: false))
        #expect(!OrderStatus.pending.allows(.authorized, hasTransaction: false, verified: false))
    }

    @Test func aVerifiedTransactionOverridesAnUnverifiedCancel() {
        #expect(OrderStatus.cancelled.allows(.authorized, hasTransaction: false, verified: true))
        #expect(OrderStatus.failed.allows(.authorized, hasTransaction: false, verified: true))
    }

    @Test func transactionsOnlyMoveForward() {
        #expect(OrderStatus.onHold.allows(.authorized, hasTransaction: true, verified: true))
        #expect(OrderStatus.authorized.allows(.captured, hasTransaction: true, verified: true))
        #expect(!OrderStatus.authorized.allows(.onHold, hasTransaction: true, verified: true))
        #expect(!OrderStatus.captured.allows(.authorized, hasTransaction: true, verified: true))
        #expect(!OrderStatus.failed.allows(.authorized, hasTransaction: true, verified: true))
        #expect(!OrderStatus.declined.allows(.authorized, hasTransaction: true, verified: true))
    }
}
