import Foundation
import HTTPKit
@testable import PaymentsApp
import PaymentsPostgres
import Postgres
import ServiceSupport
import Testing
import TestSupport

@Suite struct StorageSelectionTests {
    @Test func sqliteUnlessADatabaseURLIsGiven() throws {
        #expect(try ServiceConfiguration.from(Environment([:])).storage.sqlitePath == "run/orders.sqlite")
        #expect(try ServiceConfiguration.from(Environment(["ORDERS_DB": "/var/lib/x.sqlite"])).storage.sqlitePath == "/var/lib/x.sqlite")
        let storage = try ServiceConfiguration.from(Environment(["DATABASE_URL": "postgres://app:s3cret@db.internal:5432/payments?sslmode=require"])).storage
        guard case .postgres(let url) = storage else { Issue.record("expected PostgreSQL, got \(storage)"); return }
        #expect(url == "postgres://app:s3cret@db.internal:5432/payments?sslmode=require")
        #expect(storage.description == "postgres://app:***@db.internal:5432/payments?sslmode=require")
        #expect(storage.engine == "postgresql" && storage.sqlitePath == nil)
    }

    @Test func theURLCanComeFromAFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("db-url-\(UUID().uuidString)")
        try "postgresql://app@db/payments\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let storage = try ServiceConfiguration.from(Environment(["DATABASE_URL_FILE": file.path])).storage
        #expect(storage.engine == "postgresql" && storage.description == "postgresql://app@db/payments")
    }

    @Test func anotherSchemeIsRefusedByName() {
        let error = #expect(throws: ConfigurationError.self) { try ServiceConfiguration.from(Environment(["DATABASE_URL": "mysql://db/x"])) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("DATABASE_URL"))
    }

    @Test func anUnreachableDatabaseIsA503WithRetryAfterNotA500() {
        let down = Application.unavailableStore(PostgresError(.connection, message: "could not connect"))
        #expect(down?.status == .serviceUnavailable)
        #expect(down?.headers["Retry-After"] == "2")
        #expect(Application.unavailableStore(PostgresError(.server, sqlState: "57P01", message: "terminating connection due to administrator command"))?.status == .serviceUnavailable)
        #expect(Application.unavailableStore(PostgresError(.server, sqlState: "23505", message: "duplicate key")) == nil)
        #expect(Application.unavailableStore(CocoaError(.fileNoSuchFile)) == nil)
        // Through a router: the route's error shape, the status and the header.
        var router = Router(log: testLog, translate: Application.unavailableStore)
        router.group("/x") { group in group.on(.get, "") { _, _ in throw PostgresError(.connection, message: "down") } }
        let response = router.respond(to: HTTPRequest(method: "GET", path: "/x"))
        #expect(response.status == .serviceUnavailable && response.header("Retry-After") == "2")
        #expect(String(decoding: response.body, as: UTF8.self).contains("Database unavailable"))
    }

    @Test(.disabled(if: TestPostgres.isSkipped, "TESTS_WITHOUT_POSTGRES=1"))
    func oneSweeperAtATimeAcrossHosts() throws {
        let url = try TestPostgres.freshDatabase("lock")
        let hostA = Storage.postgres(url: url).sweeperLock(), hostB = Storage.postgres(url: url).sweeperLock()
        let whileAHoldsIt = try hostA.whileHeld { try hostB.whileHeld { 1 } }
        #expect(whileAHoldsIt == .some(nil))
        #expect(try hostB.whileHeld { 2 } == 2)
        #expect(try hostA.whileHeld { 3 } == 3)
        // SQLite: one host, one supervisor; always its turn.
        #expect(try Storage.sqlite(path: "/nonexistent").sweeperLock().whileHeld { 4 } == 4)
    }
}
