import Foundation
import PaymentsSQLite
import ServiceSupport
import SQLite

/// Keeps the WAL bounded under sustained load from many processes. Left to SQLite, every
/// commit past 1000 WAL pages attempts a PASSIVE checkpoint; with commits from many processes
/// they contend for the one checkpoint lock, a RESTART never gets it, and while readers keep
/// overlapping the WAL is never started again from its beginning: it grows without bound
/// (checkpoint starvation; measured 200 MiB in 4 s of mixed load). So the workers under a
/// supervisor never checkpoint, and one thread here does it all: every `interval` seconds a
/// PASSIVE checkpoint copies what it can without blocking anyone, and once the WAL holds more
/// than `restartBytes` of frames since it was last started again, a
/// RESTART checkpoint waits briefly for writers and current readers and copies the (few)
/// remaining frames, so the next commit writes the WAL from its beginning again. The file is
/// reused rather than cut to zero: rewriting pages already in the page cache is cheaper than
/// growing a file again (measured under POST /orders), and `journal_size_limit` caps it at 64 MiB.
///
/// Under heavy writes (~90 MiB of WAL a second measured under mixed load) a fixed interval
/// lets the WAL fill well past `restartBytes` before the next round, so after a restart the
/// next round comes sooner, in proportion; a busy RESTART gives up after 250 ms and is tried
/// again 20 ms later, after another PASSIVE copy, rather than waiting out a long timeout while
/// the WAL fills. If the checkpointer still falls behind (starved of CPU), the workers' writes
/// pause past `WAL_PAUSE_BYTES` (``Connection/Options/walPauseBytes``) until it catches up.
enum Checkpointer {
    /// What one round did.
    enum Round: Equatable {
        /// Nothing to do: no WAL file, or an empty one.
        case idle
        /// Copied what it could; the WAL holds too little to start it again.
        case copied
        /// Copied everything and started the WAL again from its beginning.
        case restarted
        /// A reader or writer held on past the busy timeout; the next round tries again.
        case busy
    }

    static func start(databasePath: String, interval: Double, restartBytes: Int, log: Logger) {
        Thread.detachNewThread {
            let connection: Connection, restartFrames: Int
            do {
                connection = try Connection(path: databasePath, options: .init(busyTimeoutMilliseconds: 250))
                restartFrames = try connection.walFrames(holding: restartBytes)
            } catch {
                log.error("checkpointer cannot open the database: \(error)")
                return
            }
            var failing = false, wait = interval
            while true {
                Thread.sleep(forTimeInterval: wait)
                do {
                    let (round, frames) = try round(connection, restartFrames: restartFrames)
                    if round == .busy, !failing { log.warning("WAL checkpoint could not restart the WAL (busy); retrying") }
                    if round != .copied { failing = round == .busy }
                    wait = pause(after: round, walFrames: frames, restartFrames: restartFrames, interval: interval)
                } catch {
                    log.error("WAL checkpoint failed: \(error)")
                    wait = interval
                }
            }
        }
    }

    /// One round: a PASSIVE checkpoint, then a RESTART when the WAL holds more than
    /// `restartFrames` frames since it was last started again. Not the file's size: the file
    /// is reused at its largest size, so deciding by it restarted (and stalled writers for two
    /// fsyncs) on every round at any load.
    /// Returns what the round did and the frames the WAL held.
    static func round(_ connection: Connection, restartFrames: Int) throws -> (Round, walFrames: Int) {
        guard walSize(of: connection.path) > 0 else { return (.idle, 0) }
        let frames = try connection.checkpoint(.passive).walFrames
        guard frames > 0 else { return (.idle, 0) }
        guard frames > restartFrames else { return (.copied, frames) }
        return (try connection.checkpoint(.restart).busy ? .busy : .restarted, frames)
    }

    /// Seconds until the next round: `interval`, but after a restart of a WAL that had filled
    /// to k times `restartFrames`, `interval / k`, and 20 ms after a busy restart; never less
    /// than 10 ms.
    static func pause(after round: Round, walFrames: Int, restartFrames: Int, interval: Double) -> Double {
        switch round {
        case .idle, .copied:
            return interval
        case .busy:
            return min(interval, 0.02)
        case .restarted:
            let filled = Double(walFrames) / Double(max(1, restartFrames))
            return max(min(interval, 0.01), interval / max(1, filled))
        }
    }

    static func walSize(of databasePath: String) -> Int {
        var info = stat()
        return stat(databasePath + "-wal", &info) == 0 ? Int(info.st_size) : 0
    }
}
