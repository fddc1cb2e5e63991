import Foundation
import ServiceSupport

/// The `/payments` flows: create a payment, take the card (claim → charge → record), and
/// settle payments whose worker died mid-charge.
public struct CardPaymentService {
    /// The result of a card submission.
    public enum Submission: Sendable {
        /// No payment with that transaction id.
        case notFound
        /// The payment is not waiting for a card (already submitted, or another submission
        /// won the race just now).
        case notAwaitingCard(Payment, raced: Bool)
        /// The card details are invalid (what is wrong, by field); nothing changed.
        case invalidCard(Payment, [CardDetails.Field: String])
        /// The provider was asked; the payment ended in `state`.
        case processed(Payment, PaymentState)
    }

    let store: PaymentStore
    let provider: PaymentProvider
    let clock: WallClock
    let log: Logger

    /// Creates the service for one thread.
    public init(store: PaymentStore, provider: PaymentProvider, clock: WallClock, log: Logger) {
        self.store = store
        self.provider = provider
        self.clock = clock
        self.log = log
    }

    /// Stores a new payment waiting for card details (linked to `link` in the same transaction).
    public func create(_ input: CreatePaymentInput, linking link: IdempotencyLink? = nil) throws -> Payment {
        let now = clock.now().epochMilliseconds
        let payment = Payment(
            transactionID: RandomUUID.string(), reference: input.reference, amount: input.amount,
            returnURL: input.returnURL, state: .initial, createdAt: now, updatedAt: now
        )
        try store.insert(payment, linking: link)
        return payment
    }

    /// The payment with this transaction id.
    public func payment(transactionID: String) throws -> Payment? {
        try store.payment(transactionID: transactionID)
    }

    /// One page of payments matching `query`, latest state change first.
    public func payments(_ query: PaymentListQuery) throws -> ListPage<Payment> {
        try ListPage.read(query, cursor: ListCursor.init(after:), store.payments)
    }

    /// Validates the card, claims the payment (`init → card`, exactly one submission wins),
    /// charges it and records `OK` or `ERROR`. The full card exists only in memory here.
    public func submitCard(transactionID: String, number: String?, cvc: String?, expiry: String?) throws -> Submission {
        guard let payment = try store.payment(transactionID: transactionID) else { return .notFound }
        guard payment.state == .initial else { return .notAwaitingCard(payment, raced: false) }
        guard let card = CardDetails(number: number, cvc: cvc, expiry: expiry, now: clock.now()) else {
            return .invalidCard(payment, CardDetails.problems(number: number, cvc: cvc, expiry: expiry, now: clock.now()))
        }
        guard let claimed = try store.transition(
            transactionID: transactionID, .claim, changes: PaymentChanges(maskedCard: card.masked), at: clock.now().epochMilliseconds
        ) else {
            return .notAwaitingCard(payment, raced: true)
        }
        let final = charge(claimed, card: card)
        log.info("payment \(transactionID) \(final.rawValue) (card \(card.masked))")
        return .processed(claimed, final)
    }

    /// The result of a shopper's cancel on the hosted page.
    public enum Cancellation: Sendable {
        /// No payment with that transaction id.
        case notFound
        /// The payment was waiting for a card and is now `ERROR`, recorded as cancelled.
        case cancelled(Payment)
        /// The payment had already moved on (a card was submitted); nothing changed.
        case notAwaitingCard(Payment)
    }

    /// The shopper went back to the shop without paying: `init → ERROR` with the cancelled
    /// reason, so the calling service can tell it from a payment still in progress.
    public func cancel(transactionID: String) throws -> Cancellation {
        guard let payment = try store.payment(transactionID: transactionID) else { return .notFound }
        guard payment.state == .initial, let cancelled = try store.transition(
            transactionID: transactionID, .shopperCancel, changes: PaymentChanges(errorReason: PaymentOutcome.cancelledReason), at: clock.now().epochMilliseconds
        ) else {
            return .notAwaitingCard(try store.payment(transactionID: transactionID) ?? payment)
        }
        log.info("payment \(transactionID) ERROR (cancelled by the shopper)")
        BusinessCounters.add(BusinessMetric.cardPayments, ["outcome": Self.metricName(.cancelled)])
        return .cancelled(cancelled)
    }

    /// The `outcome` label of the card-payment counter.
    private static func metricName(_ outcome: PaymentOutcome) -> String {
        switch outcome {
        case .approved: return "approved"
        case .declined: return "declined"
        case .cancelled: return "cancelled"
        default: return "error"
        }
    }

    /// Moves payments left in `card` longer than `grace` (their worker died while the
    /// provider call was in flight) to `ERROR`; returns how many. In transactions of at most
    /// `batch` rows, so a backlog never holds the write lock for long.
    public func failInterrupted(olderThan grace: TimeInterval, batch: Int = 500) throws -> Int {
        let now = clock.now()
        var total = 0
        while true {
            let moved = try store.transitionStale(
                .fail, updatedBefore: (now - grace).epochMilliseconds,
                changes: PaymentChanges(errorReason: "provider outcome unknown: processing was interrupted"),
                at: now.epochMilliseconds, limit: batch
            )
            total += moved
            if moved < batch { return total }
        }
    }

    /// Sends the card to the provider and records OK or ERROR; a failed call is ERROR with its
    /// reason, so no payment stays in `card`.
    private func charge(_ payment: Payment, card: CardDetails) -> PaymentState {
        let state: PaymentState
        let changes: PaymentChanges
        do {
            let outcome = try provider.charge(ProviderCharge(reference: payment.reference, amount: payment.amount, card: card))
            state = outcome.approved ? .ok : .error
            changes = PaymentChanges(paymentID: outcome.paymentID, errorReason: outcome.approved ? nil : PaymentOutcome.declinedReason(outcome.reason))
        } catch {
            log.warning("payment \(payment.transactionID): \(error)")
            state = .error
            changes = PaymentChanges(errorReason: error.description)
        }
        var recorded = payment
        recorded.state = state
        recorded.errorReason = changes.errorReason
        BusinessCounters.add(BusinessMetric.cardPayments, ["outcome": Self.metricName(recorded.outcome)])
        do {
            _ = try store.transition(transactionID: payment.transactionID, state == .ok ? .approve : .fail, changes: changes, at: clock.now().epochMilliseconds)
        } catch {
            // The interrupted-payment sweep moves it to ERROR later.
            log.error("payment \(payment.transactionID): recording \(state.rawValue) failed: \(error)")
        }
        return state
    }
}
