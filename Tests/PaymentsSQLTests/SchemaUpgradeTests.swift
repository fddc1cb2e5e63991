import Foundation
import PaymentsDomain
import PaymentsSQL
@testable import PaymentsSQLite
import SQL
import SQLite
import Testing
import TestSupport

/// Schema version 8 rebuilds the orders table: a database of version 7 keeps every order, its
/// sequence (the list cursor) and its history, and the same ids stay unique.
@Suite struct SchemaUpgradeTests {
    @Test func version8KeepsOrdersTheirSequenceAndTheirRules() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payments-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("orders.sqlite").path
        let old = try Connection(path: path)
        try Migrator(Array(Schema.migrator.migrations.prefix(7))).migrate(old)
        let orders = SQLOrderStore(connection: old)
        for index in 1...5 {
            try orders.insert(Order(
                id: "o\(index)", createdAt: Int64(index), updatedAt: Int64(index), amount: 100, currency: "NOK", receipt: nil,
                status: index == 5 ? .created : .pending, sessionID: index == 5 ? nil : "s\(index)", sessionURL: nil
            ), linking: nil)
        }
        // Gaps in the sequence, as deletions would leave them, must survive the rebuild.
        try old.write { db in try db.run("DELETE FROM order_events WHERE order_id = 'o2'"); try db.run("DELETE FROM orders WHERE id = 'o2'") }
        let before = try old.read { db in try db.query("SELECT rowid, id, status, session_id FROM orders ORDER BY rowid").map(Self.describe) }
        let events = try old.read { db in try db.query("SELECT count(*) AS n FROM order_events")[0].get("n") as Int }

        #expect(try Schema.migrator.migrate(old) == 1)
        let after = try old.read { db in try db.query("SELECT rowid, id, status, session_id FROM orders ORDER BY rowid").map(Self.describe) }
        #expect(after == before)
        #expect(try old.read { db in try db.query("SELECT count(*) AS n FROM order_events")[0].get("n") as Int } == events)
        #expect(try old.read { db in try db.query("PRAGMA foreign_key_check") }.isEmpty)
        // The next order continues the sequence; history rows still need their order.
        try orders.insert(Order(id: "o6", createdAt: 6, updatedAt: 6, amount: 100, currency: "NOK", receipt: nil, status: .created), linking: nil)
        #expect(try old.read { db in try db.query("SELECT rowid FROM orders WHERE id = 'o6'")[0].get("rowid") as Int64 } == 6)
        #expect(throws: SQLiteError.self) { try old.write { db in try db.run("INSERT INTO order_events (order_id, at, to_status, source) VALUES ('none', 1, 'PENDING', 'x')") } }
        // Several orders without a session or transaction, but never two with the same one.
        #expect(throws: SQLiteError.self) { try old.write { db in try db.run("UPDATE orders SET session_id = 's1' WHERE id = 'o3'") } }
        try old.write { db in try db.run("UPDATE orders SET transaction_id = 't1' WHERE id = 'o1'") }
        #expect(throws: SQLiteError.self) { try old.write { db in try db.run("UPDATE orders SET transaction_id = 't1' WHERE id = 'o3'") } }
        let indexes = try old.read { db in try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' ORDER BY name").map { try $0.get("name") as String } }
        #expect(indexes == ["orders_created", "orders_open_checked", "orders_pending_checked", "orders_session", "orders_status_created", "orders_transaction", "sqlite_autoindex_orders_1"])
    }

    private static func describe(_ row: SQLRow) throws -> String {
        "\(try row.get("rowid") as Int64) \(try row.get("id") as String) \(try row.get("status") as String) \(try row.get("session_id") as String? ?? "-")"
    }
}
