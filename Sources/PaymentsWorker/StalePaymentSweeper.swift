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
            do {
                let store = SQLitePaymentStore(connection: try Schema.open(path: configuration.databasePath))
                while true {
                    let now = Date()
                    let swept = try store.failStale(
                        updatedBefore: (now - grace).epochMilliseconds,
                        reason: "provider outcome unknown: processing was interrupted",
                        at: now.epochMilliseconds
                    )
                    if swept > 0 { log.warning("moved \(swept) payment(s) stuck in card to ERROR") }
                    Thread.sleep(forTimeInterval: interval)
                }
            } catch {
                log.error("stale payment sweeper stopped: \(error)")
            }
        }
    }
}
