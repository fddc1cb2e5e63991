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
                connection = try Connection(path: databasePath, options: .init(busyTimeoutMilliseconds: 2_000))
                restartFrames = try frames(in: restartBytes, of: connection)
            } catch {
                log.error("checkpointer cannot open the database: \(error)")
                return
            }
            var failing = false
            while true {
                Thread.sleep(forTimeInterval: interval)
                do {
                    let round = try round(connection, restartFrames: restartFrames)
                    if round == .busy, !failing { log.warning("WAL checkpoint could not restart the WAL (busy); retrying every \(interval) s") }
                    if round != .copied { failing = round == .busy }
                } catch {
                    log.error("WAL checkpoint failed: \(error)")
                }
            }
        }
    }

    /// One round: a PASSIVE checkpoint, then a RESTART when the WAL holds more than
    /// `restartFrames` frames since it was last started again. Not the file's size: the file
    /// is reused at its largest size, so deciding by it restarted (and stalled writers for two
    /// fsyncs) on every round at any load.
    static func round(_ connection: Connection, restartFrames: Int) throws -> Round {
        guard walSize(of: connection.path) > 0 else { return .idle }
        let frames = try connection.checkpoint(.passive).walFrames
        guard frames > 0 else { return .idle }
        guard frames > restartFrames else { return .copied }
        return try connection.checkpoint(.restart).busy ? .busy : .restarted
    }

    /// How many WAL frames `bytes` hold: each frame is a page behind a 24-byte header. The
    /// page size is the database's, read once.
    static func frames(in bytes: Int, of connection: Connection) throws -> Int {
        let pageSize: Int = try connection.read { try $0.queryOne("PRAGMA page_size")?.get("page_size") } ?? 4_096
        return bytes / (pageSize + 24)
    }

    static func walSize(of databasePath: String) -> Int {
        var info = stat()
        return stat(databasePath + "-wal", &info) == 0 ? Int(info.st_size) : 0
    }
}
