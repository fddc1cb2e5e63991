import Foundation
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

    /// The columns an order is read from, selected in this order and read by position.
    private enum Column: Int, CaseIterable {
        case seq, id, createdAt, updatedAt, amount, currency, receipt, status, sessionID, sessionURL, transactionID, capturedAmount, refundedAmount, expiresAt

        var selection: String {
            switch self {
            case .seq: "rowid AS seq"
            case .id: "id"
            case .createdAt: "created_at"
            case .updatedAt: "updated_at"
            case .amount: "amount"
            case .currency: "currency"
            case .receipt: "receipt"
            case .status: "status"
            case .sessionID: "session_id"
            case .sessionURL: "session_url"
            case .transactionID: "transaction_id"
            case .capturedAmount: "captured_amount"
            case .refundedAmount: "refunded_amount"
            case .expiresAt: "expires_at"
            }
        }
    }

    private static let columns = Column.allCases.map(\.selection).joined(separator: ", ")

    public func insert(_ order: Order, linking link: IdempotencyLink?) throws {
        try connection.write { db in
            try db.run(
                "INSERT INTO orders (id, created_at, updated_at, amount, currency, receipt, status, session_id, session_url, transaction_id, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?2)",
                [
                    .text(order.id), .integer(order.createdAt), .integer(order.updatedAt), .integer(order.amount),
                    .text(order.currency), .optionalText(order.receipt), .text(order.status.rawValue),
                    .optionalText(order.sessionID), .optionalText(order.sessionURL), .optionalText(order.transactionID),
                ]
            )
            let transaction = Transaction(db: db)
            try transaction.record(OrderEvent(at: order.createdAt, from: nil, to: order.status, source: "create", transactionID: nil, detail: nil), orderID: order.id)
            if let link { try transaction.link(link, to: order.id) }
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

    public func orders(in status: OrderStatus, createdBefore cutoff: Int64, limit: Int) throws -> [Order] {
        try connection.read { db in
            try db.query(Self.createdBeforeSQL, [.text(status.rawValue), .integer(cutoff), .integer(Int64(limit))]).map(Self.order)
        }
    }

    /// The sweeper's query for interrupted creates (read by `orders_status_created`).
    static let createdBeforeSQL = "SELECT \(columns) FROM orders WHERE status = ? AND created_at < ? ORDER BY created_at LIMIT ?"

    public func transition(_ change: OrderStatusChange) throws -> OrderTransition {
        try connection.write { db in try change.apply(in: Transaction(db: db)) }
    }

    public func begin(_ draft: OrderOperation, requested: Int64?, linking link: IdempotencyLink?) throws -> OperationStart {
        try connection.write { db in try OrderOperation.begin(draft, requested: requested, linking: link, in: Transaction(db: db)) }
    }

    public func operation(id: String) throws -> OrderOperation? {
        try connection.read { db in try db.queryOne("SELECT * FROM order_operations WHERE id = ?", [.text(id)]).map(Self.operation) }
    }

    public func openOperations(updatedBefore cutoff: Int64, limit: Int) throws -> [OrderOperation] {
        try connection.read { db in
            try db.query(
                "SELECT * FROM order_operations WHERE state IN ('requested', 'pending') AND updated_at < ? ORDER BY updated_at LIMIT ?",
                [.integer(cutoff), .integer(Int64(limit))]
            ).map(Self.operation)
        }
    }

    public func history(orderID: String) throws -> (events: [OrderEvent], operations: [OrderOperation]) {
        try connection.read { db in
            let events = try db.query(
                "SELECT at, from_status, to_status, source, transaction_id, amount, operation_id, detail FROM order_events WHERE order_id = ? ORDER BY id",
                [.text(orderID)]
            ).map { row in
                OrderEvent(
                    at: try row.get("at"), from: (try row.get("from_status") as String?).flatMap(OrderStatus.init(rawValue:)),
                    to: OrderStatus(rawValue: try row.get("to_status")) ?? .created, source: try row.get("source"),
                    transactionID: try row.get("transaction_id"), amount: try row.get("amount"), operationID: try row.get("operation_id"),
                    detail: try row.get("detail")
                )
            }
            return (events, try operations(orderID: orderID))
        }
    }

    public func operations(orderID: String) throws -> [OrderOperation] {
        try connection.read { db in
            try db.query("SELECT * FROM order_operations WHERE order_id = ? ORDER BY created_at", [.text(orderID)]).map(Self.operation)
        }
    }

    public func orders(in statuses: [OrderStatus], checkedBefore cutoff: Int64, limit: Int) throws -> [Order] {
        guard !statuses.isEmpty else { return [] }
        return try connection.read { db in
            try db.query(Self.checkedSQL(statuses), [.integer(cutoff), .integer(Int64(limit))]).map(Self.order)
        }
    }

    /// The reconciler's query. The two sets of statuses it asks for each have a partial index
    /// in checked order (`orders_pending_checked`, `orders_open_checked`), named here: without
    /// statistics the planner prefers the status index and sorts every match. The statuses
    /// are written into the SQL, not bound, as SQLite reads a partial index only for a query
    /// whose terms match the index's WHERE clause. Any other set is read without a hint.
    static func checkedSQL(_ statuses: [OrderStatus]) -> String {
        let literals = statuses.map { "'\($0.rawValue.replacingOccurrences(of: "'", with: "''"))'" }
        let condition = literals.count == 1 ? "status = \(literals[0])" : "status IN (\(literals.joined(separator: ", ")))"
        let index = statuses == [.pending] ? " INDEXED BY orders_pending_checked" : statuses == OrderStatus.open ? " INDEXED BY orders_open_checked" : ""
        return "SELECT \(columns) FROM orders\(index) WHERE \(condition) AND checked_at < ? ORDER BY checked_at LIMIT ?"
    }

    public func markChecked(orderID: String, at time: Int64) throws {
        try connection.write { db in try db.run("UPDATE orders SET checked_at = ? WHERE id = ?", [.integer(time), .text(orderID)]) }
    }

    private static func operation(_ row: Row) throws -> OrderOperation {
        let kind: String = try row.get("kind"), state: String = try row.get("state")
        guard let decodedKind = OperationRequest.Kind(rawValue: kind), let decodedState = OrderOperation.State(rawValue: state) else {
            throw SQLiteError(.mismatch, message: "order_operations holds unknown kind \(kind) or state \(state)")
        }
        return OrderOperation(
            id: try row.get("id"), orderID: try row.get("order_id"), kind: decodedKind, amount: try row.get("amount"), state: decodedState,
            requestID: try row.get("request_id"), detail: try row.get("detail"), createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at")
        )
    }

    private static func order(id: String, in db: Database) throws -> Order? {
        try db.queryOne("SELECT \(columns) FROM orders WHERE id = ?", [.text(id)]).map(order)
    }

    /// The primitives of the domain's order flows, inside one `BEGIN IMMEDIATE` transaction
    /// (which already keeps every other writer out: reads need no extra lock).
    private struct Transaction: OrderWriteTransaction {
        let db: Database

        func lockedOrder(id: String) throws -> Order? { try SQLiteOrderStore.order(id: id, in: db) }

        func update(_ next: Order, whereStatus previous: OrderStatus) throws -> Int {
            try db.run(
                """
                UPDATE orders SET status = ?, updated_at = ?, transaction_id = ?, session_id = ?, session_url = ?,
                    captured_amount = ?, refunded_amount = ?, expires_at = ?, checked_at = ?2
                WHERE id = ? AND status = ?
                """,
                [
                    .text(next.status.rawValue), .integer(next.updatedAt), .optionalText(next.transactionID),
                    .optionalText(next.sessionID), .optionalText(next.sessionURL), .integer(next.capturedAmount),
                    .integer(next.refundedAmount), .optionalInteger(next.expiresAt), .text(next.id), .text(previous.rawValue),
                ]
            )
        }

        func record(_ event: OrderEvent, orderID: String) throws {
            try db.run(
                "INSERT INTO order_events (order_id, at, from_status, to_status, source, transaction_id, detail, amount, operation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(orderID), .integer(event.at), .optionalText(event.from?.rawValue), .text(event.to.rawValue), .text(event.source),
                    .optionalText(event.transactionID), .optionalText(event.detail), .optionalInteger(event.amount), .optionalText(event.operationID),
                ]
            )
        }

        func openOperations(orderID: String) throws -> [OrderOperation] {
            try db.query(
                "SELECT * FROM order_operations WHERE order_id = ? AND state IN ('requested', 'pending') ORDER BY created_at", [.text(orderID)]
            ).map(SQLiteOrderStore.operation)
        }

        func insert(_ operation: OrderOperation) throws {
            try db.run(
                "INSERT INTO order_operations (id, order_id, kind, amount, state, request_id, detail, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(operation.id), .text(operation.orderID), .text(operation.kind.rawValue), .optionalInteger(operation.amount),
                    .text(operation.state.rawValue), .optionalText(operation.requestID), .optionalText(operation.detail),
                    .integer(operation.createdAt), .integer(operation.updatedAt),
                ]
            )
        }

        func lockedOperation(id: String) throws -> OrderOperation? {
            try db.queryOne("SELECT * FROM order_operations WHERE id = ?", [.text(id)]).map(SQLiteOrderStore.operation)
        }

        func apply(_ update: OperationUpdate, at time: Int64) throws {
            try db.run(
                "UPDATE order_operations SET state = ?, request_id = coalesce(?, request_id), detail = coalesce(?, detail), updated_at = ? WHERE id = ?",
                [.text(update.state.rawValue), .optionalText(update.requestID), .optionalText(update.detail), .integer(time), .text(update.id)]
            )
        }

        func link(_ link: IdempotencyLink, to resourceID: String) throws { try SQLiteIdempotencyStore.link(link, to: resourceID, in: db) }
    }

    private static func order(_ row: Row) throws -> Order {
        func get<T: SQLiteColumnValue>(_ column: Column) throws -> T { try row.get(at: column.rawValue) }
        let status: String = try get(.status)
        guard let decoded = OrderStatus(rawValue: status) else {
            throw SQLiteError(.mismatch, message: "orders.status holds unknown status \(status)")
        }
        return Order(
            id: try get(.id), sequence: try get(.seq), createdAt: try get(.createdAt), updatedAt: try get(.updatedAt),
            amount: try get(.amount), currency: try get(.currency), receipt: try get(.receipt),
            status: decoded, sessionID: try get(.sessionID), sessionURL: try get(.sessionURL),
            transactionID: try get(.transactionID), capturedAmount: try get(.capturedAmount),
            refundedAmount: try get(.refundedAmount), expiresAt: try get(.expiresAt)
        )
    }
}
