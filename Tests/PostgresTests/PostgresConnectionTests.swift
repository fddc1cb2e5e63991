import Foundation
import Postgres
import SQL
import Synchronization
import Testing
import TestSupport

@Suite(.disabled(if: TestPostgres.isSkipped, "TESTS_WITHOUT_POSTGRES=1"))
struct PostgresConnectionTests {
    @Test func valuesRoundTripThroughPreparedAndUnnamedStatements() throws {
        let db = PostgresConnection(url: try TestPostgres.freshDatabase())
        try db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, data BYTEA)")
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff, 0x0a]
        try db.run("INSERT INTO t VALUES ($1, $2, $3)", [.integer(-9_007_199_254_740_993), .text("Ærø ✓ 'quoted'"), .blob(bytes)])
        try db.run("INSERT INTO t VALUES ($1, $2, $3)", [.integer(Int64.max), .null, .null], prepared: false)
        for prepared in [true, false] {
            let rows = try db.query("SELECT id, name, data FROM t ORDER BY id", [], prepared: prepared)
            #expect(rows.count == 2)
            #expect(try rows[0].get("id") as Int64 == -9_007_199_254_740_993)
            #expect(try rows[0].get("name") as String == "Ærø ✓ 'quoted'")
            #expect(try rows[0].get("data") as [UInt8] == bytes)
            #expect(try rows[1].get("id") as Int64 == Int64.max)
            #expect(try rows[1].get("name") as String? == nil)
            #expect(throws: SQLRowError.self) { try rows[1].get("name") as String }
            #expect(throws: SQLRowError.self) { try rows[0].get("missing") as String }
        }
    }

    @Test func serverErrorsCarryTheirSQLStateAndLeaveTheConnectionUsable() throws {
        let db = PostgresConnection(url: try TestPostgres.freshDatabase())
        try db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        try db.run("INSERT INTO t VALUES ($1)", [.integer(1)])
        let error = try #require(throws: PostgresError.self) { try db.run("INSERT INTO t VALUES ($1)", [.integer(1)]) }
        #expect(error.sqlState == "23505")
        #expect(error.isUniqueViolation)
        #expect(!error.isConnectionFailure)
        let syntax = try #require(throws: PostgresError.self) { try db.query("SELEC 1") }
        #expect(syntax.sqlState == "42601")
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.get("n") as Int64? == 1)
    }

    @Test func aThrowingTransactionLeavesNothingBehind() throws {
        let db = PostgresConnection(url: try TestPostgres.freshDatabase())
        try db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try db.transaction { tx in
                try tx.run("INSERT INTO t VALUES ($1)", [.integer(1)])
                throw Abort()
            }
        }
        try db.transaction { tx in try tx.run("INSERT INTO t VALUES ($1)", [.integer(2)]) }
        #expect(try db.query("SELECT id FROM t").map { try $0.get("id") as Int64 } == [2])
    }

    @Test func aConnectionTheServerDroppedIsReplacedAtTheNextTransaction() throws {
        let url = try TestPostgres.freshDatabase()
        let db = PostgresConnection(url: url)
        try db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        let first = db.backendPID
        #expect(first != 0)
        // What a server restart does to an open connection.
        let admin = PostgresConnection(url: url)
        _ = try admin.query("SELECT pg_terminate_backend($1)", [.integer(Int64(first))])
        try db.transaction { tx in try tx.run("INSERT INTO t VALUES ($1)", [.integer(1)]) }
        #expect(db.backendPID != first)
        admin.close()
        // A read outside a transaction after another drop.
        let second = db.backendPID
        _ = try PostgresConnection(url: url).query("SELECT pg_terminate_backend($1)", [.integer(Int64(second))])
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.get("n") as Int64? == 1)
        #expect(db.backendPID != second)
    }

    @Test func anUnreachableServerIsAConnectionFailure() throws {
        // A port nothing listens on: bind one, close it, connect there.
        let port = try freeLoopbackPort()
        let db = PostgresConnection(url: "postgres://payments@127.0.0.1:\(port)/postgres", options: .init(connectTimeoutSeconds: 1))
        let error = try #require(throws: PostgresError.self) { try db.transaction { _ in } }
        #expect(error.isConnectionFailure)
        #expect(!error.description.contains("password"))
    }

    @Test func migrationsRunExactlyOnceWhenManyHostsStartTogether() throws {
        let url = try TestPostgres.freshDatabase()
        let migrator = PostgresMigrator([
            PostgresMigration(version: 1, sql: "CREATE TABLE a (id BIGINT PRIMARY KEY); INSERT INTO a VALUES (1);"),
            PostgresMigration(version: 2, sql: "INSERT INTO a SELECT max(id) + 1 FROM a; SELECT pg_sleep(0.05);"),
        ], lockKey: 4_242)
        let applied = Mutex<[Int]>([])
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for _ in 0..<8 {
            done.enter()
            Thread.detachNewThread {
                let db = PostgresConnection(url: url)
                do {
                    let count = try migrator.migrate(db)
                    applied.withLock { $0.append(count) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                db.close()
                done.leave()
            }
        }
        done.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(applied.withLock { $0 }.sorted() == [0, 0, 0, 0, 0, 0, 0, 2])
        let db = PostgresConnection(url: url)
        #expect(try db.query("SELECT id FROM a ORDER BY id").map { try $0.get("id") as Int64 } == [1, 2])
        #expect(try PostgresMigrator.version(of: db) == 2)
    }

    @Test func aDeadlockVictimIsRunAgain() throws {
        let url = try TestPostgres.freshDatabase()
        let setup = PostgresConnection(url: url)
        try setup.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO t VALUES (1, 0), (2, 0);")
        // Two transactions lock the rows in opposite order: the server kills one, which re-runs.
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        let retries = Mutex(0), failures = Mutex<[String]>([])
        for order in [[1, 2], [2, 1]] {
            done.enter()
            Thread.detachNewThread {
                let db = PostgresConnection(url: url)
                start.wait()
                do {
                    try db.transaction { tx in
                        try tx.run("UPDATE t SET n = n + 1 WHERE id = $1", [.integer(Int64(order[0]))])
                        usleep(200_000)
                        try tx.run("UPDATE t SET n = n + 1 WHERE id = $1", [.integer(Int64(order[1]))])
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                retries.withLock { $0 += db.conflictRetries }
                db.close()
                done.leave()
            }
        }
        start.signal()
        start.signal()
        done.wait()
        #expect(failures.withLock { $0 } == [])
        // One victim, run again after the winner committed; a second deadlock would mean the
        // re-run raced the winner.
        #expect(retries.withLock { $0 } == 1)
        #expect(try setup.query("SELECT n FROM t ORDER BY id").map { try $0.get("n") as Int64 } == [2, 2])
    }
}
