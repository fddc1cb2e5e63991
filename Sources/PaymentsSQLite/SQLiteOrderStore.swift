import PaymentsDomain
import SQLite

/// ``OrderStore`` on one SQLite connection: each status change is a compare-and-set over the
/// domain's ``OrderStatusChange/decide(for:)`` inside one `BEGIN IMMEDIATE` transaction.
public final class SQLiteOrderStore: OrderStore {
    private let connection: Connection

    /// Uses `connection`, which must be migrated (see ``Schema``).
    public init(connection: Connection) {
        self.connection = connection
    }

    private static let columns = "rowid AS seq, id, created_at, updated_at, amount, currency, receipt, status, session_id, session_url, transaction_id"

    public func insert(_ order: Order, linking link: IdempotencyLink?) throws {
        try connection.write { db in
            try db.run(
                "INSERT INTO orders (id, created_at, updated_at, amount, currency, receipt, status, session_id, session_url, transaction_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(order.id), .integer(order.createdAt), .integer(order.updatedAt), .integer(order.amount),
                    .text(order.currency), .optionalText(order.receipt), .text(order.status.rawValue),
                    .optionalText(order.sessionID), .optionalText(order.sessionURL), .optionalText(order.transactionID),
                ]
            )
            try Self.recordEvent(db, orderID: order.id, at: order.createdAt, from: nil, to: order.status, source: "create", transactionID: nil, detail: nil)
            if let link { try SQLiteIdempotencyStore.link(link, to: order.id, in: db) }
        }
    }

    public func order(id: String) throws -> Order? {
        try connection.read { try Self.order(id: id, in: $0) }
    }

    public func orders(_ query: OrderListQuery) throws -> [Order] {
        var filter = SQLFilter()
        filter.add("status = ?", query.status.map { .text($0.rawValue) })
        filter.add("currency = ?", query.currency.map(SQLiteValue.text))
        filter.add("receipt = ?", query.receipt.map(SQLiteValue.text))
        filter.add("amount >= ?", query.minAmount.map(SQLiteValue.integer))
        filter.add("amount <= ?", query.maxAmount.map(SQLiteValue.integer))
        filter.add("created_at >= ?", query.minDate.map(SQLiteValue.integer))
        filter.add("created_at <= ?", query.maxDate.map(SQLiteValue.integer))
        filter.add("(created_at, rowid) < (?, ?)", query.after.map { .integer($0.timestamp) }, query.after.map { .integer($0.sequence) })
        return try connection.read { db in
            try db.query(
                "SELECT \(Self.columns) FROM orders \(filter.clause) ORDER BY created_at DESC, rowid DESC LIMIT ?",
                filter.parameters + [.integer(Int64(query.limit))]
            ).map(Self.order)
        }
    }

    public func orders(in status: OrderStatus, updatedBefore cutoff: Int64, limit: Int) throws -> [Order] {
        try connection.read { db in
            try db.query(
                "SELECT \(Self.columns) FROM orders WHERE status = ? AND updated_at < ? ORDER BY updated_at LIMIT ?",
                [.text(status.rawValue), .integer(cutoff), .integer(Int64(limit))]
            ).map(Self.order)
        }
    }

    public func transition(_ change: OrderStatusChange) throws -> OrderTransition {
        try connection.write { db in
            guard let order = try Self.order(id: change.orderID, in: db) else { return .notFound }
            switch change.decide(for: order) {
            case .keep:
                return .unchanged(order)
            case .refuse:
                return .refused(order)
            case .apply(let next):
                let changed = try db.run(
                    """
                    UPDATE orders SET status = ?, updated_at = ?, transaction_id = ?, session_id = ?, session_url = ?
                    WHERE id = ? AND status = ?
                    """,
                    [
                        .text(next.status.rawValue), .integer(next.updatedAt), .optionalText(next.transactionID),
                        .optionalText(next.sessionID), .optionalText(next.sessionURL), .text(next.id), .text(order.status.rawValue),
                    ]
                )
                // Inside BEGIN IMMEDIATE nobody else can have written; a miss is a bug, not a race.
                precondition(changed == 1, "order \(next.id) changed under a write transaction")
                try Self.recordEvent(db, orderID: next.id, at: change.at, from: order.status, to: next.status, source: change.source, transactionID: change.transactionID, detail: change.detail)
                return .changed(next)
            }
        }
    }

    private static func order(id: String, in db: Database) throws -> Order? {
        try db.queryOne("SELECT \(columns) FROM orders WHERE id = ?", [.text(id)]).map(order)
    }

    private static func recordEvent(_ db: Database, orderID: String, at: Int64, from: OrderStatus?, to: OrderStatus, source: String, transactionID: String?, detail: String?) throws {
        try db.run(
            "INSERT INTO order_events (order_id, at, from_status, to_status, source, transaction_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(orderID), .integer(at), .optionalText(from?.rawValue), .text(to.rawValue), .text(source), .optionalText(transactionID), .optionalText(detail)]
        )
    }

    private static func order(_ row: Row) throws -> Order {
        let status: String = try row.get("status")
        guard let decoded = OrderStatus(rawValue: status) else {
            throw SQLiteError(.mismatch, message: "orders.status holds unknown status \(status)")
        }
        return Order(
            id: try row.get("id"), sequence: try row.get("seq"), createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"),
            amount: try row.get("amount"), currency: try row.get("currency"), receipt: try row.get("receipt"),
            status: decoded, sessionID: try row.get("session_id"), sessionURL: try row.get("session_url"),
            transactionID: try row.get("transaction_id")
        )
    }
}
