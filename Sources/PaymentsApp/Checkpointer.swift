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
/// PASSIVE checkpoint copies what it can without blocking anyone, and past `restartBytes` a
/// RESTART checkpoint waits briefly for writers and current readers and copies the (few)
/// remaining frames, so the next commit writes the WAL from its beginning again. The file is
/// reused rather than cut to zero: rewriting pages already in the page cache is cheaper than
/// growing a file again (measured under POST /orders), and `journal_size_limit` caps it at 64 MiB.
enum Checkpointer {
    static func start(databasePath: String, interval: Double, restartBytes: Int, log: Logger) {
        Thread.detachNewThread {
            let connection: Connection
            do {
                connection = try Connection(path: databasePath, options: .init(busyTimeoutMilliseconds: 2_000))
            } catch {
                log.error("checkpointer cannot open the database: \(error)")
                return
            }
            var failing = false
            while true {
                Thread.sleep(forTimeInterval: interval)
                let size = walSize(of: databasePath)
                guard size > 0 else { continue }
                do {
                    _ = try connection.checkpoint(.passive)
                    guard size > restartBytes else { continue }
                    if try connection.checkpoint(.restart).busy {
                        // A reader held on past the busy timeout; the next round tries again.
                        if !failing { log.warning("WAL checkpoint could not restart the WAL (busy); retrying every \(interval) s") }
                        failing = true
                    } else {
                        failing = false
                    }
                } catch {
                    log.error("WAL checkpoint failed: \(error)")
                }
            }
        }
    }

    static func walSize(of databasePath: String) -> Int {
        var info = stat()
        return stat(databasePath + "-wal", &info) == 0 ? Int(info.st_size) : 0
    }
}
