import Foundation
import PaymentsCore
import SQLite

/// Moves payments left in `card` (a worker died while the provider call was in flight) to
/// ERROR once they are older than the longest possible provider call. Runs in the supervisor
/// on its own thread, so exactly one process sweeps.
enum StalePaymentSweeper {
    static func start(configuration: ServiceConfiguration, log: Logger, interval: TimeInterval = 30) {
        let grace = configuration.payments.providerTimeout + 60
        Thread.detachNewThread {
            let store: SQLitePaymentStore
            do {
                store = SQLitePaymentStore(connection: try Schema.open(path: configuration.databasePath))
            } catch {
                log.error("stale payment sweeper cannot open the database: \(error)")
                return
            }
            while true {
                // One failed sweep (a lock held past the busy timeout) must not end the sweeping.
                do {
                    let now = Date()
                    let swept = try store.failStale(
                        updatedBefore: (now - grace).epochMilliseconds,
                        reason: "provider outcome unknown: processing was interrupted",
                        at: now.epochMilliseconds
                    )
                    if swept > 0 { log.warning("moved \(swept) payment(s) stuck in card to ERROR") }
                } catch {
                    log.error("stale payment sweep failed; retrying in \(Int(interval)) s: \(error)")
                }
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }
}
