import Foundation
import SQLite
import Testing

/// A fresh database file in a temporary directory, removed by the caller.
func temporaryDatabase() -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("test.sqlite").path
}

@Suite struct ConnectionTests {
    @Test func opensInWALModeWithForeignKeys() throws {
        let db = try Connection(path: temporaryDatabase())
        #expect(try db.queryOne("PRAGMA journal_mode")?[0].string == "wal")
        #expect(try db.queryOne("PRAGMA foreign_keys")?[0].int64 == 1)
        #expect(try db.queryOne("PRAGMA synchronous")?[0].int64 == 1)  // NORMAL
    }

    @Test func bindsAndReadsEveryValueType() throws {
        let db = try Connection(path: temporaryDatabase())
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(Int64.max), .real(1.5), .text("héllo ✓"), .blob([0, 1, 255]), .null])
        let row = try #require(try db.queryOne("SELECT i, r, s, b, n FROM t"))
        #expect(row["i"] == .integer(Int64.max))
        #expect(row["r"] == .real(1.5))
        #expect(row["s"] == .text("héllo ✓"))
        #expect(row["b"] == .blob([0, 1, 255]))
        #expect(row["n"] == .null)
    }

    @Test func writeRollsBackWhenTheBodyThrows() throws {
        let db = try Connection(path: temporaryDatabase())
        try db.execute("CREATE TABLE t (v INTEGER)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.write {
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.queryOne("SELECT count(*) FROM t")?[0].int64 == 0)
    }

    @Test func constraintViolationsAreTyped() throws {
        let db = try Connection(path: temporaryDatabase())
        try db.execute("CREATE TABLE t (v INTEGER UNIQUE)")
        try db.run("INSERT INTO t VALUES (1)")
        let error = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t VALUES (1)") }
        #expect(error?.isConstraint == true)
        #expect(error?.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
    }

    @Test func wrongParameterCountIsAnError() throws {
        let db = try Connection(path: temporaryDatabase())
        #expect(throws: SQLiteError.self) { try db.query("SELECT ?", []) }
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

    /// Several connections on several threads migrate at once: each step runs exactly once.
    @Test func concurrentMigrationsRunEachStepOnce() throws {
        let path = temporaryDatabase()
        let migrator = Migrator([
            Migration(version: 1, sql: "CREATE TABLE log (step INTEGER)"),
            Migration(version: 2, sql: "INSERT INTO log VALUES (2)"),
            Migration(version: 3, sql: "INSERT INTO log VALUES (3)"),
        ])
        let applied = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let db = try! Connection(path: path)
            applied.add(try! migrator.migrate(db))
        }
        let db = try Connection(path: path)
        #expect(applied.value == 3)
        #expect(try db.queryOne("SELECT count(*) FROM log")?[0].int64 == 2)
    }

    /// Read-then-write from several connections: BEGIN IMMEDIATE serializes them, so no
    /// update is lost and no SQLITE_BUSY escapes the busy timeout.
    @Test func immediateTransactionsLoseNoUpdates() throws {
        let path = temporaryDatabase()
        let setup = try Connection(path: path)
        try setup.execute("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
        let failures = Atomic(0)
        let threads = 6, increments = 200
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let db = try! Connection(path: path)
            for _ in 0..<increments {
                do {
                    try db.write {
                        let n = try db.queryOne("SELECT n FROM counter")![0].int64!
                        try db.run("UPDATE counter SET n = ?", [.integer(n + 1)])
                    }
                } catch {
                    failures.add(1)
                }
            }
        }
        #expect(failures.value == 0)
        #expect(try setup.queryOne("SELECT n FROM counter")?[0].int64 == Int64(threads * increments))
    }
}

/// A small lock-protected counter for tests.
final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int
    init(_ value: Int) { current = value }
    func add(_ delta: Int) { lock.withLock { current += delta } }
    var value: Int { lock.withLock { current } }
}
