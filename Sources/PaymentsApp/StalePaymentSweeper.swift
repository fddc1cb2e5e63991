import Foundation
import PaymentsDomain
import PaymentsSQLite
import ServiceSupport

/// Moves payments left in `card` (a worker died while the provider call was in flight) to
/// ERROR once they are older than the longest possible provider call. Runs in the supervisor
/// on its own thread, so exactly one process sweeps.
enum StalePaymentSweeper {
    static func start(configuration: ServiceConfiguration, log: Logger, interval: TimeInterval = 30) {
        let grace = configuration.payments.providerTimeout + 60
        Thread.detachNewThread {
            let service: CardPaymentService
            do {
                let store = SQLitePaymentStore(connection: try Schema.open(path: configuration.databasePath))
                service = CardPaymentService(store: store, provider: NoProvider(), clock: SystemClock(), log: log)
            } catch {
                log.error("stale payment sweeper cannot open the database: \(error)")
                return
            }
            while true {
                // One failed sweep (a lock held past the busy timeout) must not end the sweeping.
                do {
                    let swept = try service.failInterrupted(olderThan: grace)
                    if swept > 0 { log.warning("moved \(swept) payment(s) stuck in card to ERROR") }
                } catch {
                    log.error("stale payment sweep failed; retrying in \(Int(interval)) s: \(error)")
                }
                Thread.sleep(forTimeInterval: interval)
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
