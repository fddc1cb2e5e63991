import PaymentsDomain
import SQL

/// ``OrderStore`` on one connection to either database. A status change or an operation's
/// start reads the order and applies the domain's decision (``OrderWriteTransaction``) in one
/// write transaction: SQLite's `BEGIN IMMEDIATE` keeps every other writer out meanwhile; in
/// PostgreSQL the reads that decide take row locks (`FOR UPDATE`), so concurrent requests for
/// one order, from any host, queue and the second sees the first one's result.
public final class SQLOrderStore<Connection: SQLConnection>: OrderStore {
    private let connection: Connection

    /// Uses `connection`, whose database must be migrated.
    public init(connection: Connection) {
        self.connection = connection
    }

    public func insert(_ order: Order, linking link: IdempotencyLink?) throws {
        try connection.write { db in
            try db.run("""
                INSERT INTO orders (id, created_at, updated_at, amount, currency, receipt, status, session_id, session_url, transaction_id, checked_at)
                VALUES (\(order.id), \(order.createdAt), \(order.updatedAt), \(order.amount), \(order.currency), \(order.receipt),
                    \(order.status.rawValue), \(order.sessionID), \(order.sessionURL), \(order.transactionID), \(order.createdAt))
                """)
            let transaction = Transaction(db: db)
            try transaction.record(OrderEvent(at: order.createdAt, from: nil, to: order.status, source: "create", transactionID: nil, detail: nil), orderID: order.id)
            if let link { try transaction.link(link, to: order.id) }
        }
    }

    public func order(id: String) throws -> Order? {
        try connection.read { db in try db.queryOne("SELECT \(OrderSQL.columns(db.dialect)) FROM orders WHERE id = \(id)").map(OrderSQL.order) }
    }

    public func orders(_ query: OrderListQuery) throws -> [Order] {
        try connection.read { db in
            let seq = db.dialect.orderSequence
            let filter = SQLQuery.where([
                query.status.map(db.dialect.orderStatusEquals),
                query.currency.map { "currency = \($0)" },
                query.receipt.map { "receipt = \($0)" },
                query.minAmount.map { "amount >= \($0)" },
                query.maxAmount.map { "amount <= \($0)" },
                query.minDate.map { "created_at >= \($0)" },
                query.maxDate.map { "created_at <= \($0)" },
                query.after.map { "(created_at, \(raw: seq)) < (\($0.timestamp), \($0.sequence))" },
            ])
            // Ordered by status first when filtered by it: the status index gives that order.
            var statement: SQLQuery = """
                SELECT \(OrderSQL.columns(db.dialect)) FROM orders \(filter)
                ORDER BY \(raw: query.status == nil ? "" : "status DESC, ")created_at DESC, \(raw: seq) DESC LIMIT \(query.limit)
                """
            // PostgreSQL plans a status page for its values: near the end of the list a cursor
            // leaves few rows, and the time index is then the cheaper way.
            statement.plannedPerExecution = query.status != nil
            return try db.query(statement).map(OrderSQL.order)
        }
    }

    public func orders(in status: OrderStatus, createdBefore cutoff: Int64, limit: Int) throws -> [Order] {
        try connection.read { db in try db.query(OrderSQL.createdBefore(status, cutoff, limit, in: db.dialect)).map(OrderSQL.order) }
    }

    public func transition(_ change: OrderStatusChange) throws -> OrderTransition {
        try connection.write { db in try change.apply(in: Transaction(db: db)) }
    }

    public func begin(_ draft: OrderOperation, requested: Int64?, linking link: IdempotencyLink?) throws -> OperationStart {
        try connection.write { db in try OrderOperation.begin(draft, requested: requested, linking: link, in: Transaction(db: db)) }
    }

    public func operation(id: String) throws -> OrderOperation? {
        try connection.read { db in try db.queryOne("SELECT * FROM order_operations WHERE id = \(id)").map(OrderSQL.operation) }
    }

    public func openOperations(updatedBefore cutoff: Int64, limit: Int) throws -> [OrderOperation] {
        try connection.read { db in
            try db.query("""
                SELECT * FROM order_operations WHERE state IN (\(OrderSQL.openStates)) AND updated_at < \(cutoff) ORDER BY updated_at LIMIT \(limit)
                """).map(OrderSQL.operation)
        }
    }

    public func history(orderID: String) throws -> (events: [OrderEvent], operations: [OrderOperation]) {
        try connection.read { db in
            let events = try db.query("""
                SELECT at, from_status, to_status, source, transaction_id, amount, operation_id, detail FROM order_events
                WHERE order_id = \(orderID) ORDER BY id
                """).map { row in
                OrderEvent(
                    at: try row.get("at"), from: try row.get("from_status"), to: try row.get("to_status"), source: try row.get("source"),
                    transactionID: try row.get("transaction_id"), amount: try row.get("amount"), operationID: try row.get("operation_id"),
                    detail: try row.get("detail")
                )
            }
            return (events, try Self.operations(orderID: orderID, in: db))
        }
    }

    public func operations(orderID: String) throws -> [OrderOperation] {
        try connection.read { db in try Self.operations(orderID: orderID, in: db) }
    }

    private static func operations(orderID: String, in db: Connection.Database) throws -> [OrderOperation] {
        try db.query("SELECT * FROM order_operations WHERE order_id = \(orderID) ORDER BY created_at").map(OrderSQL.operation)
    }

    public func orders(in statuses: [OrderStatus], checkedBefore cutoff: Int64, limit: Int) throws -> [Order] {
        guard !statuses.isEmpty else { return [] }
        return try connection.read { db in try db.query(OrderSQL.checkedBefore(statuses, cutoff, limit, in: db.dialect)).map(OrderSQL.order) }
    }

    public func markChecked(orderID: String, at time: Int64) throws {
        try connection.write { db in try db.run("UPDATE orders SET checked_at = \(time) WHERE id = \(orderID)") }
    }

    /// The primitives of the domain's order flows, inside one write transaction.
    private struct Transaction: OrderWriteTransaction {
        let db: Connection.Database

        func lockedOrder(id: String) throws -> Order? {
            try db.queryOne("SELECT \(OrderSQL.columns(db.dialect)) FROM orders WHERE id = \(id)\(raw: db.dialect.forUpdate)").map(OrderSQL.order)
        }

        func update(_ next: Order, whereStatus previous: OrderStatus) throws -> Int {
            try db.run("""
                UPDATE orders SET status = \(next.status.rawValue), updated_at = \(next.updatedAt), transaction_id = \(next.transactionID),
                    session_id = \(next.sessionID), session_url = \(next.sessionURL), captured_amount = \(next.capturedAmount),
                    refunded_amount = \(next.refundedAmount), expires_at = \(next.expiresAt), checked_at = \(next.updatedAt)
                WHERE id = \(next.id) AND status = \(previous.rawValue)
                """)
        }

        func record(_ event: OrderEvent, orderID: String) throws {
            try db.run("""
                INSERT INTO order_events (order_id, at, from_status, to_status, source, transaction_id, detail, amount, operation_id)
                VALUES (\(orderID), \(event.at), \(event.from?.rawValue), \(event.to.rawValue), \(event.source), \(event.transactionID),
                    \(event.detail), \(event.amount), \(event.operationID))
                """)
        }

        func openOperations(orderID: String) throws -> [OrderOperation] {
            try db.query("""
                SELECT * FROM order_operations WHERE order_id = \(orderID) AND state IN (\(OrderSQL.openStates)) ORDER BY created_at
                """).map(OrderSQL.operation)
        }

        func insert(_ operation: OrderOperation) throws {
            try db.run("""
                INSERT INTO order_operations (id, order_id, kind, amount, state, request_id, detail, created_at, updated_at)
                VALUES (\(operation.id), \(operation.orderID), \(operation.kind.rawValue), \(operation.amount), \(operation.state.rawValue),
                    \(operation.requestID), \(operation.detail), \(operation.createdAt), \(operation.updatedAt))
                """)
        }

        func lockedOperation(id: String) throws -> OrderOperation? {
            try db.queryOne("SELECT * FROM order_operations WHERE id = \(id)\(raw: db.dialect.forUpdate)").map(OrderSQL.operation)
        }

        func apply(_ update: OperationUpdate, at time: Int64) throws {
            try db.run("""
                UPDATE order_operations SET state = \(update.state.rawValue), request_id = coalesce(\(update.requestID), request_id),
                    detail = coalesce(\(update.detail), detail), updated_at = \(time) WHERE id = \(update.id)
                """)
        }

        func link(_ link: IdempotencyLink, to resourceID: String) throws { try SQLIdempotencyStore<Connection>.link(link, to: resourceID, in: db) }
    }
}

/// The order store's pieces that do not depend on the connection type: the queries the
/// planner tests read, the column list and the row decoders.
enum OrderSQL {
    /// The sweeper's query for interrupted creates (read by `orders_status_created`).
    static func createdBefore(_ status: OrderStatus, _ cutoff: Int64, _ limit: Int, in dialect: SQLDialect) -> SQLQuery {
        "SELECT \(columns(dialect)) FROM orders WHERE status = \(status.rawValue) AND created_at < \(cutoff) ORDER BY created_at LIMIT \(limit)"
    }

    /// The reconciler's query. The two sets of statuses it asks for each have a partial index
    /// in checked order (`orders_pending_checked`, `orders_open_checked`), named for SQLite:
    /// without statistics its planner prefers the status index and sorts every match. The
    /// statuses are literals, not bound, as SQLite reads a partial index only for a query whose
    /// terms match the index's WHERE clause. Any other set is read without a hint.
    static func checkedBefore(_ statuses: [OrderStatus], _ cutoff: Int64, _ limit: Int, in dialect: SQLDialect) -> SQLQuery {
        let index = statuses == [.pending] ? "orders_pending_checked" : statuses == OrderStatus.open ? "orders_open_checked" : nil
        let literals = SQLQuery.literals(statuses.map(\.rawValue))
        let status: SQLQuery = statuses.count == 1 ? "status = \(literals)" : "status IN (\(literals))"
        return """
            SELECT \(columns(dialect)) FROM orders\(raw: dialect.indexedBy(index)) WHERE \(status) AND checked_at < \(cutoff)
            ORDER BY checked_at LIMIT \(limit)
            """
    }

    /// The columns an order is read from, selected in this order and read by position
    /// (measured: hashing the names was a sixth of decoding a 20-row order list).
    private enum Column: Int {
        case seq, id, createdAt, updatedAt, amount, currency, receipt, status, sessionID, sessionURL, transactionID, capturedAmount, refundedAmount, expiresAt
    }

    /// The columns' names, in ``Column`` order.
    private static let names = [
        "seq", "id", "created_at", "updated_at", "amount", "currency", "receipt", "status", "session_id", "session_url",
        "transaction_id", "captured_amount", "refunded_amount", "expires_at",
    ]

    /// The order's columns, `seq` being the dialect's insertion order.
    static func columns(_ dialect: SQLDialect) -> SQLQuery {
        dialect == .sqlite ? sqliteColumns : postgresColumns
    }

    private static let sqliteColumns = columnList(.sqlite), postgresColumns = columnList(.postgres)

    private static func columnList(_ dialect: SQLDialect) -> SQLQuery {
        SQLQuery(stringLiteral: (["\(dialect.orderSequence) AS seq"] + names.dropFirst()).joined(separator: ", "))
    }

    static let openStates = SQLQuery.literals(OrderOperation.State.open.map(\.rawValue))

    static func operation(_ row: SQLRow) throws -> OrderOperation {
        OrderOperation(
            id: try row.get("id"), orderID: try row.get("order_id"), kind: try row.get("kind"), amount: try row.get("amount"),
            state: try row.get("state"), requestID: try row.get("request_id"), detail: try row.get("detail"),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at")
        )
    }

    static func order(_ row: SQLRow) throws -> Order {
        func get<T: SQLColumnValue>(_ column: Column) throws -> T { try row.get(at: column.rawValue) }
        return Order(
            id: try get(.id), sequence: try get(.seq), createdAt: try get(.createdAt), updatedAt: try get(.updatedAt),
            amount: try get(.amount), currency: try get(.currency), receipt: try get(.receipt),
            status: try OrderStatus(stored: try get(.status), column: "orders.status"), sessionID: try get(.sessionID), sessionURL: try get(.sessionURL),
            transactionID: try get(.transactionID), capturedAmount: try get(.capturedAmount),
            refundedAmount: try get(.refundedAmount), expiresAt: try get(.expiresAt)
        )
    }
}
