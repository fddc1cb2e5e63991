import Foundation
import PaymentsDomain
import ServiceSupport

/// The supervisor's background work, on its own thread so exactly one process does it (one per
/// host; with several hosts on PostgreSQL, an advisory lock lets one of them at a time):
/// - payments left in `card` (a worker died during the provider call) → `ERROR`;
/// - orders left in `CREATED` (a worker died, or Dintero hung, before the session was stored)
///   → `SESSION_FAILED`, so no order stays half-created;
/// - idempotency keys past their lifetime are purged;
/// - orders and operations nobody told us about are reconciled with Dintero (see
///   ``OrderService/reconcile(_:)``).
enum Sweeper {
    static func start(configuration: ServiceConfiguration, gateway: PaymentGateway, log: Logger) {
        let paymentGrace = configuration.payments.providerTimeout + 60
        Thread.detachNewThread {
            let stores: StoreSet
            do {
                stores = try configuration.storage.openStores(applicationName: "payments-sweeper")
            } catch {
                log.error("sweeper cannot open the database: \(error)")
                return
            }
            let payments = CardPaymentService(store: stores.payments, provider: NoProvider(), clock: SystemClock(), log: log)
            let orders = configuration.orderService(store: stores.orders, gateway: gateway, clock: SystemClock(), log: log)
            let keys = IdempotencyService(store: stores.idempotency, clock: SystemClock())
            let jobs: [(String, () throws -> Int)] = [
                ("payment(s) stuck in card moved to ERROR", { try payments.failInterrupted(olderThan: paymentGrace) }),
                ("order(s) stuck in CREATED moved to SESSION_FAILED", { try orders.failInterruptedCreates(olderThan: configuration.staleCreateAfter) }),
                ("expired idempotency key(s) purged", { try keys.purge(olderThan: configuration.idempotencyTTL) }),
                ("order(s) or operation(s) brought up to date from Dintero", { try orders.reconcile(configuration.reconcile) }),
            ]
            // With several hosts on one PostgreSQL, one sweeper at a time does the rounds.
            let lock = configuration.storage.sweeperLock()
            while true {
                do {
                    try lock.whileHeld {
                        for (what, job) in jobs {
                            // One failed sweep (a lock held past the busy timeout) must not end the sweeping.
                            do {
                                let count = try job()
                                if count > 0 { log.warning("\(count) \(what)") }
                            } catch {
                                log.error("sweep failed (\(what)); retrying in \(configuration.sweepInterval) s: \(error)")
                            }
                        }
                    }
                } catch {
                    log.error("sweep skipped, the database is unreachable; retrying in \(configuration.sweepInterval) s: \(error)")
                }
                Thread.sleep(forTimeInterval: configuration.sweepInterval)
            }
        }
    }

    /// The sweeper never charges a card.
    private struct NoProvider: PaymentProvider {
        func charge(_ charge: ProviderCharge) throws(ProviderError) -> ProviderOutcome {
            throw ProviderError("the sweeper does not charge cards")
        }
    }
}
