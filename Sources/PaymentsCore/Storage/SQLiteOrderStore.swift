import SQLite

/// ``OrderStore`` on one SQLite connection.
public final class SQLiteOrderStore: OrderStore {
    private let db: Connection

    /// Uses `connection`, which must be migrated (see ``Schema``).
    public init(connection: Connection) {
        db = connection
    }

    private static let columns = "id, created_at, updated_at, amount, currency, receipt, status, session_id, session_url, transaction_id"

    public func insert(_ order: Order) throws {
        try db.write {
            try db.run(
                "INSERT INTO orders (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(order.id), .integer(order.createdAt), .integer(order.updatedAt), .integer(order.amount),
                    .text(order.currency), .optionalText(order.receipt), .text(order.status.rawValue),
                    .optionalText(order.sessionID), .optionalText(order.sessionURL), .optionalText(order.transactionID),
                ]
            )
            try recordEvent(orderID: order.id, at: order.createdAt, from: nil, to: order.status, source: "create", transactionID: nil, detail: nil)
        }
    }

    public func order(id: String) throws -> Order? {
        try db.queryOne("SELECT \(Self.columns) FROM orders WHERE id = ?", [.text(id)]).flatMap(Self.order)
    }

    public func orders(limit: Int) throws -> [Order] {
        try db.query(
            "SELECT \(Self.columns) FROM orders ORDER BY created_at DESC, rowid DESC LIMIT ?",
            [.integer(Int64(limit))]
        ).compactMap(Self.order)
    }

    public func transition(_ change: OrderStatusChange) throws -> OrderTransition {
        try db.write {
            guard var order = try order(id: change.orderID) else { return .notFound }
            if let transactionID = change.transactionID, let recorded = order.transactionID, recorded != transactionID {
                // Exactly one transaction per session: a different one is not this order's.
                return .refused(order)
            }
            if order.status == change.status && (change.transactionID == nil || order.transactionID == change.transactionID) {
                return .unchanged(order)
            }
            guard order.status.allows(change.status, hasTransaction: order.transactionID != nil, verified: change.verified) else {
                return .refused(order)
            }
            let previous = order.status
            order.status = change.status
            order.updatedAt = change.at
            if let transactionID = change.transactionID { order.transactionID = transactionID }
            if let session = change.session {
                order.sessionID = session.id
                order.sessionURL = session.url
            }
            try db.run(
                "UPDATE orders SET status = ?, updated_at = ?, transaction_id = ?, session_id = ?, session_url = ? WHERE id = ?",
                [
                    .text(order.status.rawValue), .integer(order.updatedAt), .optionalText(order.transactionID),
                    .optionalText(order.sessionID), .optionalText(order.sessionURL), .text(order.id),
                ]
            )
            try recordEvent(orderID: order.id, at: change.at, from: previous, to: order.status, source: change.source, transactionID: change.transactionID, detail: change.detail)
            return .changed(order)
        }
    }

    private func recordEvent(orderID: String, at: Int64, from: OrderStatus?, to: OrderStatus, source: String, transactionID: String?, detail: String?) throws {
        try db.run(
            "INSERT INTO order_events (order_id, at, from_status, to_status, source, transaction_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(orderID), .integer(at), .optionalText(from?.rawValue), .text(to.rawValue), .text(source), .optionalText(transactionID), .optionalText(detail)]
        )
    }

    private static func order(_ row: Row) -> Order? {
        guard let id = row["id"].string, let createdAt = row["created_at"].int64, let updatedAt = row["updated_at"].int64,
              let amount = row["amount"].int64, let currency = row["currency"].string,
              let status = row["status"].string.flatMap(OrderStatus.init(rawValue:)) else { return nil }
        return Order(
            id: id, createdAt: createdAt, updatedAt: updatedAt, amount: amount, currency: currency,
            receipt: row["receipt"].string, status: status, sessionID: row["session_id"].string,
            sessionURL: row["session_url"].string, transactionID: row["transaction_id"].string
        )
    }
}
