import CSQLite
import Foundation
import SQL
import Synchronization

private let busyRetryCount = Atomic<Int>(0)
private let walPauseCount = Atomic<Int>(0)

/// One writer lock per database file and process.
private enum WriterLocks {
    private static let locks = Mutex<[String: NSLock]>([:])

    static func lock(for path: String) -> NSLock {
        locks.withLock { locks in
            if let lock = locks[path] { return lock }
            let lock = NSLock()
            locks[path] = lock
            return lock
        }
    }
}

/// The process's SQLite configuration, set once before the first connection opens it.
///
/// Without an initial bulk allocation for each connection's page cache: SQLite's default is one
/// 20-page block (87,200 bytes here) per cache, freed when the cache empties, and a cache empties
/// whenever another connection wrote since its last transaction (WAL mode, several writers), so
/// under steady creates each pooled connection allocated and freed it for about every third
/// create. A block that size is a whole-page allocation for jemalloc, whose freed pages stay
/// resident until its decay returns them; pages one by one come from its small-size slabs
/// and are reused at once.
private let configured: Int32 = csqlite_config_page_cache_without_bulk()

// SQLITE_TRANSIENT: SQLite copies bound text and blobs before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection, confined to the thread that uses it.
///
/// Opened in WAL mode with `synchronous=NORMAL`, a busy timeout and foreign keys on. All
/// statements run inside closure-scoped transactions, as in GRDB:
/// - ``write(_:)`` starts with `BEGIN IMMEDIATE`, so several writer processes queue on the busy
///   timeout instead of failing with `SQLITE_BUSY` on a lock upgrade. A `write` nested in a
///   `write` runs in a savepoint: it rolls back alone when it throws.
/// - ``read(_:)`` runs in a deferred transaction, so its queries see one snapshot. A `write`
///   inside a `read` would silently upgrade that deferred transaction, the very failure
///   `BEGIN IMMEDIATE` exists to prevent, so it is a programming error (precondition).
///
/// Prepared statements are cached per connection.
public final class Connection: SQLConnection {
    /// How a connection is opened.
    public struct Options: Sendable {
        /// Milliseconds to wait for another connection's lock before `SQLITE_BUSY`.
        public var busyTimeoutMilliseconds: Int32
        /// WAL pages after which a commit runs a PASSIVE checkpoint itself; 0 leaves all
        /// checkpoints to a dedicated checkpointer (``Connection/checkpoint(_:)``).
        public var walAutoCheckpointPages: Int32
        /// With a dedicated checkpointer: WAL bytes past which a write, once committed and its
        /// locks released, pauses its thread (1 ms at this size, growing to 50 ms at 1.5 times
        /// it), so that writers slow down while the checkpointer catches up instead of the WAL
        /// growing without bound. 0: never.
        public var walPauseBytes: Int

        /// Defaults: 5 s busy timeout, SQLite's automatic checkpoints every 1000 pages, no pause.
        public init(busyTimeoutMilliseconds: Int32 = 5_000, walAutoCheckpointPages: Int32 = 1_000, walPauseBytes: Int = 0) {
            precondition(walPauseBytes == 0 || walAutoCheckpointPages == 0, "the pause is for a dedicated checkpointer; SQLite's own checkpoints use the same hook")
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.walAutoCheckpointPages = walAutoCheckpointPages
            self.walPauseBytes = walPauseBytes
        }
    }

    private enum TransactionState {
        case none
        case reading
        case writing(savepoints: Int)
    }

    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// Column layout per cached statement, read once.
    private var layouts: [OpaquePointer: SQLRow.Layout] = [:]
    private var state = TransactionState.none
    /// WAL frames past which a write pauses (``Options/walPauseBytes``); 0: never.
    private var walPauseFrames = 0
    /// Frames in the WAL after this connection's last commit (SQLite's WAL hook).
    private var walFramesAfterCommit = 0
    /// How many writes of this connection paused (``Options/walPauseBytes``).
    public private(set) var pausedWrites = 0

    /// The file path this connection was opened with.
    public let path: String
    /// The busy handler's clock: its timeout and when the current wait began.
    private let busyWait: BusyWait
    /// Shared by every connection of this process to the same file.
    private let writerLock: NSLock

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        _ = configured
        writerLock = WriterLocks.lock(for: path)
        busyWait = BusyWait(timeoutMilliseconds: Int(options.busyTimeoutMilliseconds))
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let error = SQLiteError(connection: db, code: rc, sql: nil)
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // SQLite's own busy-timeout schedule, but counted (the `sqlite_busy_retries` metric).
        sqlite3_busy_handler(db, { context, count in
            Connection.waitWhileBusy(attempt: Int(count), wait: Unmanaged<BusyWait>.fromOpaque(context!).takeUnretainedValue())
        }, Unmanaged.passUnretained(busyWait).toOpaque())
        // journal_size_limit: after a checkpoint resets the WAL, its file is cut back to 64 MiB
        // (the checkpointer's TRUNCATE cuts it to zero).
        // No mmap_size: measured, it remaps the whole file on every growth (an munmap and an
        // mmap per created order), and the page reads it would save come from the WAL anyway.
        try useWAL()
        try execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864")
        sqlite3_wal_autocheckpoint(db, options.walAutoCheckpointPages)
        if options.walPauseBytes > 0 {
            walPauseFrames = max(1, try walFrames(holding: options.walPauseBytes))
            // Replaces SQLite's automatic-checkpoint hook, which is off here (0 pages).
            sqlite3_wal_hook(db, { context, _, _, frames in
                Unmanaged<Connection>.fromOpaque(context!).takeUnretainedValue().walFramesAfterCommit = Int(frames)
                return SQLITE_OK
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// How many WAL frames `bytes` hold: each frame is a page of this database behind a
    /// 24-byte header.
    public func walFrames(holding bytes: Int) throws -> Int {
        let pageSize: Int = try read { try $0.queryOne("PRAGMA page_size")?.get("page_size") } ?? 4_096
        return bytes / (pageSize + 24)
    }

    /// How a checkpoint treats readers and writers (`sqlite3_wal_checkpoint_v2`).
    public enum CheckpointMode: Int32, Sendable {
        /// Copies what it can without waiting for anyone.
        case passive = 0
        /// Waits (busy handler) for writers, copies everything.
        case full = 1
        /// As full, then waits for readers so the next writer starts the WAL from its beginning.
        case restart = 2
        /// As restart, and truncates the WAL file to zero bytes.
        case truncate = 3
    }

    /// What a checkpoint did: frames in the WAL and frames copied into the database; `busy`
    /// when it could not finish (a reader or writer held on past the busy timeout).
    public struct CheckpointResult: Sendable, Equatable {
        public var busy: Bool
        public var walFrames: Int
        public var checkpointedFrames: Int
    }

    /// Runs a WAL checkpoint outside any transaction.
    public func checkpoint(_ mode: CheckpointMode) throws -> CheckpointResult {
        guard case .none = state else { preconditionFailure("checkpoint inside a transaction") }
        var frames: Int32 = 0, copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, mode.rawValue, &frames, &copied)
        if rc == SQLITE_BUSY { return CheckpointResult(busy: true, walFrames: Int(frames), checkpointedFrames: Int(copied)) }
        guard rc == SQLITE_OK else { throw SQLiteError(connection: handle, code: rc, sql: "wal_checkpoint") }
        return CheckpointResult(busy: false, walFrames: Int(frames), checkpointedFrames: Int(copied))
    }

    deinit {
        close()
    }

    /// How many times a connection of this process waited for another's lock (each wait is
    /// one retry of SQLite's busy handler).
    public static var busyRetries: Int { busyRetryCount.load(ordering: .relaxed) }

    /// Whether this process's page caches allocate page by page (see `configured`): false if
    /// SQLite was initialized before the first connection asked.
    public static var pageCachesAllocatePageByPage: Bool { configured == SQLITE_OK }

    /// How many writes of this process paused because the WAL was past ``Options/walPauseBytes``.
    public static var walPauses: Int { walPauseCount.load(ordering: .relaxed) }

    /// The pause after a write that left `frames` in the WAL, microseconds: none up to
    /// `limit`, then 1 ms growing linearly to 50 ms at 1.5 × `limit` and staying there.
    static func walPause(frames: Int, limit: Int) -> Int {
        guard limit > 0, frames > limit else { return 0 }
        let over = min(1.0, Double(frames - limit) / Double(max(1, limit / 2)))
        return 1_000 + Int(over * 49_000)
    }

    /// Waits between retries, microseconds, the last one repeated until the timeout. SQLite's
    /// own schedule starts at 1 ms; a write transaction here holds the lock for about 100 µs,
    /// so a millisecond mostly waits on a lock that is already free (measured: several sleeps
    /// per POST under load). It never backs off past 1 ms: the process's other writers queue
    /// behind this one (``write(_:)``), while another process's writers hand the lock from one
    /// to the next within microseconds, so a waiter that slept 5–100 ms between tries rarely
    /// found the lock free and held up its whole process (measured under `POST /orders`: p99
    /// 313–870 ms with a schedule growing to 100 ms, 31–34 ms with this one, and 1.2× the rate).
    private static let busyDelays = [50, 100, 200, 400, 800, 1_000]

    /// One retry of the busy handler: sleeps the schedule's next delay unless the timeout has
    /// passed. The timeout is measured on the clock, not summed from the delays asked for: on a
    /// busy machine each sleep overruns, and a sum of nominal 1 ms sleeps once stretched a 5 s
    /// timeout past 15 s.
    private static func waitWhileBusy(attempt: Int, wait: BusyWait) -> Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        if attempt == 0 { wait.startedAt = now }
        let left = Int(wait.timeoutNanoseconds) - Int(now - wait.startedAt)
        guard left > 0 else { return 0 }
        let delay = min(busyDelays[min(attempt, busyDelays.count - 1)], left / 1_000)
        busyRetryCount.add(1, ordering: .relaxed)
        usleep(useconds_t(max(1, delay)))
        return 1
    }

    /// Switches the file to WAL (a no-op once it is). Switching a new file takes an exclusive
    /// lock, and when several connections open the new file at once SQLite answers the losers
    /// SQLITE_BUSY without asking the busy handler (seen: `make test`'s concurrent-migration
    /// test failing once in CI). So that answer is retried here on the busy handler's schedule,
    /// until its timeout.
    private func useWAL() throws {
        var attempt = 0
        while true {
            do {
                try execute("PRAGMA journal_mode=WAL")
                return
            } catch let error as SQLiteError where error.primaryResultCode == .busy && Self.waitWhileBusy(attempt: attempt, wait: busyWait) != 0 {
                attempt += 1
            }
        }
    }

    /// Finalizes cached statements and closes the connection. Safe to call twice.
    public func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        layouts.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back
    /// when it throws. Nested in another `write`, it runs in a savepoint.
    @discardableResult
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        switch state {
        case .reading:
            preconditionFailure("write inside read: a deferred transaction must not be upgraded to a write; start the write at the outside")
        case .writing(let depth):
            let name = "s\(depth + 1)"
            return try bracket(
                begin: "SAVEPOINT \(name)", commit: "RELEASE \(name)", rollback: "ROLLBACK TO \(name); RELEASE \(name)",
                inside: .writing(savepoints: depth + 1), body
            )
        case .none:
            // The threads of one process queue here (a futex hand-over) rather than all
            // polling SQLite's file lock; other processes still meet at BEGIN IMMEDIATE.
            let result = try writerLock.withLock {
                walFramesAfterCommit = 0  // a commit that wrote nothing does not call the hook
                return try bracket(begin: "BEGIN IMMEDIATE", commit: "COMMIT", rollback: "ROLLBACK", inside: .writing(savepoints: 0), body)
            }
            // After the unlock: the pause slows this thread, not the process's other writers.
            let pause = Self.walPause(frames: walFramesAfterCommit, limit: walPauseFrames)
            if pause > 0 {
                pausedWrites += 1
                walPauseCount.add(1, ordering: .relaxed)
                usleep(useconds_t(pause))
            }
            return result
        }
    }

    /// Runs `body` in a deferred transaction so that its queries see one snapshot. Nested in a
    /// `read` or a `write`, it joins the outer transaction.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        guard case .none = state else { return try body(Database(connection: self)) }
        return try bracket(begin: "BEGIN DEFERRED", commit: "COMMIT", rollback: "ROLLBACK", inside: .reading, body)
    }

    /// Writes a consistent copy of the database to `path` (`VACUUM INTO`): a snapshot as of one
    /// read transaction, taken while other connections keep writing, compacted, with no WAL.
    public func copy(to path: String) throws {
        try execute("VACUUM INTO '\(path.replacingOccurrences(of: "'", with: "''"))'")
    }

    /// `PRAGMA integrity_check`'s verdict: "ok", or what is wrong.
    public func integrityCheck() throws -> String {
        try read { db in try db.queryOne("PRAGMA integrity_check")?.get(at: 0) as String? } ?? "no answer"
    }

    /// Runs statements outside any transaction: connection pragmas and checkpoints.
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if let errorMessage { sqlite3_free(errorMessage) }
        guard rc == SQLITE_OK else { throw SQLiteError(connection: handle, code: rc, sql: sql) }
    }

    /// Runs `body` between `begin` and `commit`, or `rollback` when it throws, with the
    /// transaction state set to `inside` meanwhile and restored after.
    private func bracket<T>(begin: String, commit: String, rollback: String, inside: TransactionState, _ body: (Database) throws -> T) throws -> T {
        try control(begin)
        let outside = state
        state = inside
        defer { state = outside }
        do {
            let result = try body(Database(connection: self))
            try control(commit)
            return result
        } catch {
            // Fails harmlessly when SQLite already rolled back (e.g. after SQLITE_FULL).
            try? control(rollback)
            throw error
        }
    }

    /// A transaction-control statement: prepared once and cached like any other (they run
    /// twice per request); the two-statement savepoint rollback goes through `sqlite3_exec`.
    private func control(_ sql: String) throws {
        if sql.utf8.contains(UInt8(ascii: ";")) { return try execute(sql) }
        _ = try runStatement(sql, [])
    }

    // MARK: - Statements (used through Database)

    fileprivate func runStatement(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        let statement = try prepare(sql, parameters)
        defer { sqlite3_reset(statement) }
        var rc = sqlite3_step(statement)
        while rc == SQLITE_ROW { rc = sqlite3_step(statement) }
        guard rc == SQLITE_DONE else { throw SQLiteError(connection: handle, code: rc, sql: sql) }
        return Int(sqlite3_changes(handle))
    }

    fileprivate func fetchRows(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        let statement = try prepare(sql, parameters)
        defer { sqlite3_reset(statement) }
        let count = sqlite3_column_count(statement)
        let layout: SQLRow.Layout
        if let cached = layouts[statement] {
            layout = cached
        } else {
            layout = SQLRow.Layout(columns: (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) })
            layouts[statement] = layout
        }
        var rows: [SQLRow] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw SQLiteError(connection: handle, code: rc, sql: sql) }
            rows.append(SQLRow(layout: layout, values: (0..<count).map { value(statement, $0) }))
        }
        return rows
    }

    private func prepare(_ sql: String, _ parameters: [SQLValue]) throws -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard rc == SQLITE_OK, let prepared else {
                throw SQLiteError(connection: handle, code: rc, sql: sql)
            }
            statements[sql] = prepared
            statement = prepared
        }
        sqlite3_clear_bindings(statement)
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == parameters.count else {
            throw SQLiteError(.range, message: "statement takes \(expected) parameters, \(parameters.count) given", sql: sql)
        }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch parameter {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let value): rc = sqlite3_bind_int64(statement, index, value)
            case .real(let value): rc = sqlite3_bind_double(statement, index, value)
            case .text(let value): rc = sqlite3_bind_text(statement, index, value, -1, transient)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), transient)
                }
            }
            guard rc == SQLITE_OK else { throw SQLiteError(connection: handle, code: rc, sql: sql) }
        }
        return statement
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, column)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let base = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: base, count: count)))
        default: return .null
        }
    }
}

/// The handle a ``Connection/read(_:)`` or ``Connection/write(_:)`` closure receives: statements
/// run only through it, so only inside a transaction.
public struct Database: SQLDatabase {
    private let connection: Connection

    fileprivate init(connection: Connection) { self.connection = connection }

    public var dialect: SQLDialect { .sqlite }

    public func query(_ query: SQLQuery) throws -> [SQLRow] {
        let (sql, values) = query.rendered(for: .sqlite)
        return try connection.fetchRows(sql, values)
    }

    @discardableResult
    public func run(_ statement: SQLQuery) throws -> Int {
        let (sql, values) = statement.rendered(for: .sqlite)
        return try connection.runStatement(sql, values)
    }

    /// Runs a statement with parameters; returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try connection.runStatement(sql, parameters)
    }

    /// Runs a query and returns all of its rows.
    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        try connection.fetchRows(sql, parameters)
    }

    /// Runs a query and returns its first row, if any.
    public func queryOne(_ sql: String, _ parameters: [SQLValue]) throws -> SQLRow? {
        try connection.fetchRows(sql, parameters).first
    }

    /// Runs one or more statements without parameters (schema steps).
    public func execute(_ sql: String) throws {
        try connection.execute(sql)
    }
}

/// The busy handler's state for one connection (used by one thread at a time, as the
/// connection is).
private final class BusyWait {
    let timeoutNanoseconds: UInt64
    var startedAt: UInt64 = 0

    init(timeoutMilliseconds: Int) {
        timeoutNanoseconds = UInt64(max(0, timeoutMilliseconds)) * 1_000_000
    }
}
