import Foundation
import SQL
import SQLite
import Synchronization
import Testing

/// A fresh database file in a temporary directory.
func temporaryDatabase() -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("test.sqlite").path
}

extension Connection {
    /// The first column of the first row of `sql`, read in its own transaction.
    func scalar(_ sql: String) throws -> SQLValue? {
        try read { try $0.queryOne(sql, [])?[0] }
    }
}

@Suite struct ConnectionTests {
    @Test func opensInWALModeWithForeignKeys() throws {
        let db = try Connection(path: temporaryDatabase())
        #expect(try db.scalar("PRAGMA journal_mode")?.string == "wal")
        #expect(try db.scalar("PRAGMA foreign_keys")?.int64 == 1)
        #expect(try db.scalar("PRAGMA synchronous")?.int64 == 1)  // NORMAL
    }

    /// The page-cache setting only takes before SQLite initializes: the first connection of
    /// the process sets it, so nothing may reach SQLite before a connection does.
    @Test func pageCachesAllocatePageByPage() throws {
        _ = try Connection(path: temporaryDatabase())
        #expect(Connection.pageCachesAllocatePageByPage)
    }

    @Test func bindsAndReadsEveryValueType() throws {
        let db = try Connection(path: temporaryDatabase())
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try db.write { try $0.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(Int64.max), .real(1.5), .text("héllo ✓"), .blob([0, 1, 255]), .null]) }
        let row = try #require(try db.read { try $0.queryOne("SELECT i, r, s, b, n FROM t") })
        #expect(try row.get("i") == SQLValue.integer(Int64.max))
        #expect(try row.get("r") == SQLValue.real(1.5))
        #expect(try row.get("s") == SQLValue.text("héllo ✓"))
        #expect(try row.get("b") == SQLValue.blob([0, 1, 255]))
        #expect(try row.get("n") == SQLValue.null)
        #expect(try row.get("i") == Int64.max)
        #expect(try row.get("s") == "héllo ✓")
        #expect(try row.get("n") == String?.none)
    }

    @Test func writeRollsBackWhenTheBodyThrows() throws {
        let db = try Connection(path: temporaryDatabase())
        try db.execute("CREATE TABLE t (v INTEGER)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.write { db in
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM t")?.int64 == 0)
    }

    /// A write nested in a write is a savepoint: it rolls back alone, the outer one commits.
    @Test func nestedWriteRollsBackOnlyItsSavepoint() throws {
        let db = try Connection(path: temporaryDatabase())
        try db.execute("CREATE TABLE t (v INTEGER)")
        struct Boom: Error {}
        try db.write { outer in
            try outer.run("INSERT INTO t VALUES (1)")
            #expect(throws: Boom.self) {
                try db.write { inner in
                    try inner.run("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            try db.write { try $0.run("INSERT INTO t VALUES (3)") }
        }
        #expect(try db.read { try $0.query("SELECT v FROM t ORDER BY v").map { try $0.get("v") as Int64 } } == [1, 3])
    }

    /// A write inside a read would upgrade a deferred transaction: a programming error.
    @Test func writeInsideReadIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            // Opening fails: the process exits normally, and the test fails.
            guard let db = try? Connection(path: temporaryDatabase()) else { return }
            _ = try? db.read { _ in try db.write { _ in } }
        }
    }

    @Test func constraintViolationsAreTypedAndMatchable() throws {
        let db = try Connection(path: temporaryDatabase())
        try db.execute("CREATE TABLE t (v INTEGER UNIQUE)")
        try db.write { try $0.run("INSERT INTO t VALUES (1)") }
        let error = #expect(throws: SQLiteError.self) { try db.write { try $0.run("INSERT INTO t VALUES (1)") } }
        #expect(error?.primaryResultCode == .constraint)
        #expect(error?.resultCode == .constraintUnique)
        var caught = ""
        do {
            try db.write { try $0.run("INSERT INTO t VALUES (1)") }
        } catch ResultCode.busy {
            caught = "busy"
        } catch ResultCode.constraintUnique {
            caught = "unique"
        } catch {
            caught = "other"
        }
        #expect(caught == "unique")
    }

    @Test func wrongParameterCountIsAnError() throws {
        let db = try Connection(path: temporaryDatabase())
        let error = #expect(throws: SQLiteError.self) { try db.read { try $0.query("SELECT ?", []) } }
        #expect(error?.resultCode == .range)
    }

    @Test func migrationsApplyOnceAndRefuseANewerSchema() throws {
        let path = temporaryDatabase()
        let migrator = Migrator([
            Migration(version: 1, sql: "CREATE TABLE a (x INTEGER)"),
            Migration(version: 2, sql: "ALTER TABLE a ADD COLUMN y TEXT"),
        ])
        let db = try Connection(path: path)
        #expect(try migrator.migrate(db) == 2)
        #expect(try migrator.migrate(db) == 0)
        #expect(try Migrator.version(of: db) == 2)
        let older = Migrator([Migration(version: 1, sql: "CREATE TABLE a (x INTEGER)")])
        #expect(throws: SQLiteError.self) { try older.migrate(db) }
    }

    /// A step that rebuilds a referenced table runs with foreign keys off, and a step that
    /// leaves a dangling reference is refused and rolled back.
    @Test func migrationStepsCanRunWithForeignKeysOff() throws {
        let path = temporaryDatabase()
        let base = [
            Migration(version: 1, sql: """
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (parent_id INTEGER REFERENCES parent (id));
                INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);
                """),
        ]
        let rebuild = Migration(version: 2, disablesForeignKeys: true, sql: """
            CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
            INSERT INTO parent_new (id) SELECT id FROM parent;
            DROP TABLE parent;
            ALTER TABLE parent_new RENAME TO parent;
            """)
        let db = try Connection(path: path)
        #expect(try Migrator(base + [rebuild]).migrate(db) == 2)
        #expect(try db.scalar("PRAGMA foreign_keys")?.int64 == 1)
        #expect(try db.scalar("SELECT count(*) FROM child JOIN parent ON parent.id = child.parent_id")?.int64 == 1)

        let dangling = Migration(version: 3, disablesForeignKeys: true, sql: "DELETE FROM parent")
        let error = #expect(throws: SQLiteError.self) { try Migrator(base + [rebuild, dangling]).migrate(db) }
        #expect(error?.resultCode == .constraintForeignKey)
        #expect(try Migrator.version(of: db) == 2)
        #expect(try db.scalar("SELECT count(*) FROM parent")?.int64 == 1)
    }

    /// Several connections on several threads migrate at once: each step runs exactly once.
    @Test func concurrentMigrationsRunEachStepOnce() throws {
        let path = temporaryDatabase()
        let migrator = Migrator([
            Migration(version: 1, sql: "CREATE TABLE log (step INTEGER)"),
            Migration(version: 2, sql: "INSERT INTO log VALUES (2)"),
            Migration(version: 3, sql: "INSERT INTO log VALUES (3)"),
        ])
        let applied = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do {
                let count = try migrator.migrate(try Connection(path: path))
                applied.withLock { $0 += count }
            } catch {
                Issue.record(error)
            }
        }
        let db = try Connection(path: path)
        #expect(applied.withLock { $0 } == 3)
        #expect(try db.scalar("SELECT count(*) FROM log")?.int64 == 2)
    }

    /// Read-then-write from several connections: BEGIN IMMEDIATE serializes them, so no
    /// update is lost and no SQLITE_BUSY escapes the busy timeout.
    @Test func immediateTransactionsLoseNoUpdates() throws {
        let path = temporaryDatabase()
        let setup = try Connection(path: path)
        try setup.execute("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
        let failures = Mutex(0)
        let threads = 6, increments = 200
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            guard let db = try? Connection(path: path) else { return failures.withLock { $0 += increments } }
            for _ in 0..<increments {
                do {
                    try db.write { db in
                        let n: Int64 = try #require(try db.queryOne("SELECT n FROM counter")).get("n")
                        try db.run("UPDATE counter SET n = ?", [.integer(n + 1)])
                    }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(try setup.scalar("SELECT n FROM counter")?.int64 == Int64(threads * increments))
    }
}

@Suite struct BusyRetryTests {
    /// A writer waiting for another connection's lock is counted once per retry, and gets
    /// through once the lock is released (within the busy timeout). The holder lets go only
    /// once retries were counted: a barrier, not a clock.
    @Test func waitsForALockAreCountedAndGetThrough() throws {
        let path = temporaryDatabase()
        let waiter = try Connection(path: path)
        try waiter.execute("CREATE TABLE t (x INTEGER)")
        let before = Connection.busyRetries
        let locked = DispatchSemaphore(value: 0), released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { released.signal() }
            // Connections stay on the thread that opened them.
            do {
                let holder = try Connection(path: path)
                try holder.execute("BEGIN IMMEDIATE")
                locked.signal()
                // Bounded (a minute of 1-ms naps) so a broken busy handler fails instead of hanging.
                for _ in 0..<60_000 where Connection.busyRetries - before < 5 { usleep(1_000) }
                try holder.execute("COMMIT")
            } catch {
                Issue.record(error)
                locked.signal()
            }
        }
        locked.wait()
        try waiter.write { try $0.run("INSERT INTO t VALUES (1)") }
        released.wait()
        #expect(Connection.busyRetries - before >= 5)
        #expect(try waiter.scalar("SELECT count(*) FROM t")?.int64 == 1)
    }

    @Test func theBusyTimeoutStillEndsTheWait() throws {
        let path = temporaryDatabase()
        let holder = try Connection(path: path)
        try holder.execute("CREATE TABLE t (x INTEGER)")
        try holder.execute("BEGIN IMMEDIATE")
        defer { try? holder.execute("ROLLBACK") }
        // The holder never lets go, so only the timeout can end the wait: a wait that ignored it
        // would never return, and the generous bound below turns that hang into a failure.
        let ended = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Int, any Error>?>(nil)
        Thread.detachNewThread {
            // Connections stay on the thread that opened them.
            let result = Result {
                let waiter = try Connection(path: path, options: .init(busyTimeoutMilliseconds: 100))
                return try waiter.write { try $0.run("INSERT INTO t VALUES (1)") }
            }
            outcome.withLock { $0 = result }
            ended.signal()
        }
        try #require(ended.wait(timeout: .now() + 60) == .success)
        let result = try #require(outcome.withLock { $0 })
        #expect(throws: SQLiteError.self) { try result.get() }
    }
}
