import Foundation
import PaymentsDomain
@testable import PaymentsSQL
import PaymentsSQLite
import SQL
import SQLite
import Testing
import TestSupport

/// GET /payments picks its index per query; EXPLAIN QUERY PLAN shows the choice, and both
/// ways give the same page as a plain filter would.
@Suite struct PaymentAccessPathTests {
    let connection: Connection
    let store: SQLPaymentStore<Connection>
    static let rows = 20_000

    init() throws {
        connection = try temporaryDatabase()
        store = SQLPaymentStore(connection: connection)
        try connection.write { db in
            try db.execute("""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(Self.rows))
                INSERT INTO payments (transaction_id, reference, amount, return_url, state, created_at, updated_at)
                SELECT 'tx' || i, 'R' || i, 1 + (i * 7919) % 100000, 'http://s/r',
                       CASE i % 4 WHEN 0 THEN 'init' WHEN 1 THEN 'OK' WHEN 2 THEN 'ERROR' ELSE 'card' END,
                       1790000000000 + i * 1000, 1790000000000 + i * 1000
                FROM n
                """)
        }
    }

    func plan(_ query: PaymentListQuery) throws -> String {
        let index = try connection.read { try PaymentSQL.sqliteAccessPath(for: query, in: $0) }
        let rows = try connection.read { db in
            try db.query("EXPLAIN QUERY PLAN SELECT seq FROM payments INDEXED BY \(index) WHERE amount BETWEEN ? AND ? ORDER BY updated_at DESC, seq DESC LIMIT 100",
                         [.integer(query.minAmount ?? 0), .integer(query.maxAmount ?? Int64.max)])
        }
        return rows.compactMap { $0[3].string }.joined(separator: "; ")
    }

    @Test func aRareAmountRangeReadsTheAmountIndex() throws {
        let rare = PaymentListQuery(minAmount: 99_990)
        #expect(try connection.read { try PaymentSQL.sqliteAccessPath(for: rare, in: $0) } == "payments_amount")
        #expect(try plan(rare).contains("USING COVERING INDEX payments_amount (amount>? AND amount<?)"))
        let withState = PaymentListQuery(state: .ok, minAmount: 99_990)
        #expect(try connection.read { try PaymentSQL.sqliteAccessPath(for: withState, in: $0) } == "payments_state_amount")
    }

    @Test func aBroadAmountRangeScansNewestFirst() throws {
        let broad = PaymentListQuery(minAmount: 10)
        #expect(try connection.read { try PaymentSQL.sqliteAccessPath(for: broad, in: $0) } == "payments_updated")
        #expect(!(try plan(broad).contains("TEMP B-TREE")), "no sort: the index is in list order")
        #expect(try plan(broad).contains("USING COVERING INDEX payments_updated"), "the amount filter is answered by the index")
        #expect(try connection.read { try PaymentSQL.sqliteAccessPath(for: PaymentListQuery(state: .error), in: $0) } == "payments_state_updated")
        #expect(try connection.read { try PaymentSQL.sqliteAccessPath(for: PaymentListQuery(), in: $0) } == "payments_updated")
    }

    @Test func bothPathsGiveThePlainFiltersPage() throws {
        for query in [
            PaymentListQuery(minAmount: 99_000, limit: 20),
            PaymentListQuery(minAmount: 1_000, maxAmount: 90_000, limit: 20),
            PaymentListQuery(state: .ok, minAmount: 98_000, maxDate: 1_790_000_000_000 + 15_000 * 1000, limit: 20),
        ] {
            let page = try store.payments(query).map(\.transactionID)
            var plain = "SELECT transaction_id FROM payments NOT INDEXED WHERE amount BETWEEN ? AND ?"
            var parameters: [SQLValue] = [.integer(query.minAmount ?? 0), .integer(query.maxAmount ?? Int64.max)]
            if let state = query.state { plain += " AND state = ?"; parameters.append(.text(state.rawValue)) }
            if let maxDate = query.maxDate { plain += " AND updated_at <= ?"; parameters.append(.integer(maxDate)) }
            let expected = try connection.read { db in
                try db.query(plain + " ORDER BY updated_at DESC, seq DESC LIMIT 20", parameters).compactMap { $0[0].string }
            }
            #expect(page == expected)
            #expect(page.count == 20)
        }
    }
}

@Suite struct OrderListPlanTests {
    /// GET /orders pages newest first without sorting: the plan reads one index in order.
    @Test func theOrderListNeedsNoSort() throws {
        let connection = try temporaryDatabase()
        for sql in [
            "SELECT rowid, id FROM orders ORDER BY created_at DESC, rowid DESC LIMIT 21",
            "SELECT rowid, id FROM orders WHERE (created_at, rowid) < (?, ?) ORDER BY created_at DESC, rowid DESC LIMIT 21",
            "SELECT rowid, id FROM orders WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT 21",
        ] {
            let parameters: [SQLValue] = sql.contains("status") ? [.text("PENDING")] : sql.contains("<") ? [.integer(5), .integer(6)] : []
            let plan = try connection.read { db in try db.query("EXPLAIN QUERY PLAN " + sql, parameters).compactMap { $0[3].string } }
            #expect(!plan.joined().contains("TEMP B-TREE"), "\(sql): \(plan)")
            #expect(plan.joined().contains("USING INDEX orders_"), "\(sql): \(plan)")
        }
    }

    /// The sweeper's and the reconciler's queries read the index made for them, in order.
    @Test func theSweepQueriesReadTheirIndexes() throws {
        let connection = try temporaryDatabase()
        for (query, index) in [
            (OrderSQL.checkedBefore([.pending], 5, 100, in: .sqlite), "orders_pending_checked"),
            (OrderSQL.checkedBefore(OrderStatus.open, 5, 100, in: .sqlite), "orders_open_checked"),
            (OrderSQL.createdBefore(.created, 5, 100, in: .sqlite), "orders_status_created"),
        ] {
            let (sql, parameters) = query.rendered(for: .sqlite)
            let plan = try connection.read { db in try db.query("EXPLAIN QUERY PLAN " + sql, parameters).compactMap { $0[3].string } }
            #expect(!plan.joined().contains("TEMP B-TREE"), "\(sql): \(plan)")
            #expect(plan.joined().contains("USING INDEX \(index)"), "\(sql): \(plan)")
        }
    }
}
