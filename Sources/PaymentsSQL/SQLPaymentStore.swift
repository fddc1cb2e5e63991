import PaymentsDomain
import SQL

/// ``PaymentStore`` on one connection to either database: state changes are conditional
/// UPDATEs (`WHERE state = from`), so of two racing submissions, on any hosts, exactly one
/// moves the payment (in PostgreSQL the second waits for the first's row lock, then finds the
/// state changed).
public final class SQLPaymentStore<Connection: SQLConnection>: PaymentStore {
    private let connection: Connection

    /// Uses `connection`, whose database must be migrated.
    public init(connection: Connection) {
        self.connection = connection
    }

    public func insert(_ payment: Payment, linking link: IdempotencyLink?) throws {
        try connection.write { db in
            try db.run("""
                INSERT INTO payments (transaction_id, reference, amount, return_url, state, created_at, updated_at)
                VALUES (\(payment.transactionID), \(payment.reference), \(payment.amount), \(payment.returnURL), \(payment.state.rawValue),
                    \(payment.createdAt), \(payment.updatedAt))
                """)
            if let link { try SQLIdempotencyStore<Connection>.link(link, to: payment.transactionID, in: db) }
        }
    }

    public func payment(transactionID: String) throws -> Payment? {
        try connection.read { db in
            try db.queryOne("SELECT \(PaymentSQL.columns) FROM payments WHERE transaction_id = \(transactionID)").map(PaymentSQL.payment)
        }
    }

    public func transition(transactionID: String, _ move: PaymentMove, changes: PaymentChanges, at: Int64) throws -> Payment? {
        try connection.write { db in
            try db.queryOne("""
                UPDATE payments SET state = \(move.to.rawValue), updated_at = \(at), payment_id = coalesce(\(changes.paymentID), payment_id),
                    card_masked = coalesce(\(changes.maskedCard), card_masked), error_reason = coalesce(\(changes.errorReason), error_reason)
                WHERE transaction_id = \(transactionID) AND state = \(move.from.rawValue)
                RETURNING \(PaymentSQL.columns)
                """).map(PaymentSQL.payment)
        }
    }

    /// SQLite: a page's keys come from the index named per query
    /// (``PaymentSQL/sqliteAccessPath(for:in:)``) alone, then only its rows are read from the
    /// table. PostgreSQL plans each page for its values: whether the amount index or the
    /// time-ordered one fills the page sooner depends on how much of the table the range
    /// holds, which its statistics know and a generic plan would not (measured: the SQLite
    /// form there took a 10k-row page from 0.06 to 0.04 × the ceiling).
    public func payments(_ query: PaymentListQuery) throws -> [Payment] {
        try connection.read { db in
            let filter = SQLQuery.where([
                query.state.map { "state = \($0.rawValue)" },
                query.minAmount.map { "amount >= \($0)" },
                query.maxAmount.map { "amount <= \($0)" },
                query.minDate.map { "updated_at >= \($0)" },
                query.maxDate.map { "updated_at <= \($0)" },
                query.after.map { "(updated_at, seq) < (\($0.timestamp), \($0.sequence))" },
            ])
            let order: SQLQuery = "ORDER BY updated_at DESC, seq DESC"
            var statement: SQLQuery
            switch db.dialect {
            case .sqlite:
                let index = try PaymentSQL.sqliteAccessPath(for: query, in: db)
                statement = """
                    SELECT \(PaymentSQL.columns) FROM payments WHERE seq IN (
                        SELECT seq FROM payments\(raw: db.dialect.indexedBy(index)) \(filter) \(order) LIMIT \(query.limit))
                    \(order)
                    """
            case .postgres:
                statement = "SELECT \(PaymentSQL.columns) FROM payments \(filter) \(order) LIMIT \(query.limit)"
                statement.plannedPerExecution = true
            }
            return try db.query(statement).map(PaymentSQL.payment)
        }
    }

    public func transitionStale(_ move: PaymentMove, updatedBefore cutoff: Int64, changes: PaymentChanges, at: Int64, limit: Int) throws -> Int {
        try connection.write { db in
            // The batch is a CTE, evaluated once (a LIMIT in an `IN` subquery may be re-run and
            // let more rows through); in PostgreSQL a payment a worker is moving right now is
            // skipped, left to that worker.
            try db.run("""
                WITH stale AS (
                    SELECT seq FROM payments\(raw: db.dialect.indexedBy("payments_state_updated")) WHERE state = \(move.from.rawValue) AND updated_at < \(cutoff)
                    ORDER BY updated_at LIMIT \(limit)\(raw: db.dialect.forUpdateSkipLocked))
                UPDATE payments SET state = \(move.to.rawValue), updated_at = \(at),
                    payment_id = coalesce(\(changes.paymentID), payment_id), error_reason = coalesce(\(changes.errorReason), error_reason)
                FROM stale WHERE payments.seq = stale.seq
                """)
        }
    }
}

/// The payment store's pieces that do not depend on the connection type.
enum PaymentSQL {
    /// The columns a payment is read from, selected in this order and read by position
    /// (measured: by name, the lookups cost a 100-row page a fifth more CPU).
    private enum Column: Int {
        case seq, transactionID, reference, amount, returnURL, state, paymentID, maskedCard, errorReason, createdAt, updatedAt
    }

    /// The columns a payment is read from, in ``Column`` order.
    static let columns: SQLQuery = """
        seq, transaction_id, reference, amount, return_url, state, payment_id, card_masked, error_reason, created_at, updated_at
        """

    static func payment(_ row: SQLRow) throws -> Payment {
        func get<T: SQLColumnValue>(_ column: Column) throws -> T { try row.get(at: column.rawValue) }
        return Payment(
            sequence: try get(.seq), transactionID: try get(.transactionID), reference: try get(.reference),
            amount: try get(.amount), returnURL: try get(.returnURL), state: try PaymentState(stored: try get(.state), column: "payments.state"),
            paymentID: try get(.paymentID), maskedCard: try get(.maskedCard), errorReason: try get(.errorReason),
            createdAt: try get(.createdAt), updatedAt: try get(.updatedAt)
        )
    }

    /// The index an SQLite list query reads, chosen per query (SQLite's planner has no
    /// statistics for a bound parameter's range, and guesses wrong one way or the other):
    /// - without an amount range: the time-ordered index (with the state in front when
    ///   filtered by it), read newest first until the page is full;
    /// - with one: a count on the amount index, stopped at `cap`, says how many rows the range
    ///   holds. Up to `cap`, they are taken from the amount index and the newest `limit` kept;
    ///   more, and the time-ordered scan fills the page sooner (it reads about
    ///   limit × rows / matches entries). `cap` is ¼ √(limit × rows) (2,500 at 1M rows): the
    ///   count stays cheap for broad ranges, and only ranges matching ¼–1 % of the rows scan
    ///   up to 4 × √(limit × rows) entries (measured: counting costs ~0.09 µs an entry).
    ///   Either way only index entries are read, then the page's rows.
    static func sqliteAccessPath(for query: PaymentListQuery, in db: some SQLDatabase) throws -> String {
        let ordered = query.state == nil ? "payments_updated" : "payments_state_updated"
        guard query.minAmount != nil || query.maxAmount != nil else { return ordered }
        let rows = try db.queryOne("SELECT max(seq) FROM payments")?[0].int64 ?? 0
        let cap = max(500, Int64((Double(query.limit) * Double(rows)).squareRoot() / 4))
        let byAmount = query.state == nil ? "payments_amount" : "payments_state_amount"
        let state: SQLQuery = query.state.map { "state = \($0.rawValue) AND " } ?? ""
        let matches = try db.queryOne("""
            SELECT count(*) FROM (SELECT 1 FROM payments INDEXED BY \(raw: byAmount)
                WHERE \(state)amount BETWEEN \(query.minAmount ?? Int64.min) AND \(query.maxAmount ?? Int64.max) LIMIT \(cap + 1))
            """)?[0].int64 ?? 0
        return matches <= cap ? byAmount : ordered
    }
}
