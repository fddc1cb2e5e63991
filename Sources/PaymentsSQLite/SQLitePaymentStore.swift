import PaymentsDomain
import SQLite

/// ``PaymentStore`` on one SQLite connection: state changes are conditional UPDATEs
/// (`WHERE state = from`), so of two racing submissions exactly one moves the payment.
public final class SQLitePaymentStore: PaymentStore {
    private let connection: Connection
    /// The columns a payment is read from, selected in this order and read by position.
    private enum Column: Int, CaseIterable {
        case seq, transactionID, reference, amount, returnURL, state, paymentID, maskedCard, errorReason, createdAt, updatedAt

        var name: String {
            switch self {
            case .seq: "seq"
            case .transactionID: "transaction_id"
            case .reference: "reference"
            case .amount: "amount"
            case .returnURL: "return_url"
            case .state: "state"
            case .paymentID: "payment_id"
            case .maskedCard: "card_masked"
            case .errorReason: "error_reason"
            case .createdAt: "created_at"
            case .updatedAt: "updated_at"
            }
        }
    }

    private static let columns = Column.allCases.map(\.name).joined(separator: ", ")

    /// Uses `connection`, which must be migrated (see ``Schema``).
    public init(connection: Connection) {
        self.connection = connection
    }

    public func insert(_ payment: Payment, linking link: IdempotencyLink?) throws {
        try connection.write { db in
            try db.run(
                "INSERT INTO payments (transaction_id, reference, amount, return_url, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [.text(payment.transactionID), .text(payment.reference), .integer(payment.amount), .text(payment.returnURL),
                 .text(payment.state.rawValue), .integer(payment.createdAt), .integer(payment.updatedAt)]
            )
            if let link { try SQLiteIdempotencyStore.link(link, to: payment.transactionID, in: db) }
        }
    }

    public func payment(transactionID: String) throws -> Payment? {
        try connection.read { try Self.payment(transactionID: transactionID, in: $0) }
    }

    public func transition(transactionID: String, from: PaymentState, to: PaymentState, changes: PaymentChanges, at: Int64) throws -> Payment? {
        guard from.allows(to) else { return nil }
        return try connection.write { db in
            let changed = try db.run(
                """
                UPDATE payments SET state = ?, updated_at = ?,
                    payment_id = coalesce(?, payment_id), card_masked = coalesce(?, card_masked), error_reason = coalesce(?, error_reason)
                WHERE transaction_id = ? AND state = ?
                """,
                [.text(to.rawValue), .integer(at), .optionalText(changes.paymentID), .optionalText(changes.maskedCard),
                 .optionalText(changes.errorReason), .text(transactionID), .text(from.rawValue)]
            )
            return changed == 1 ? try Self.payment(transactionID: transactionID, in: db) : nil
        }
    }

    public func payments(_ query: PaymentListQuery) throws -> [Payment] {
        var filter = SQLFilter()
        filter.add("state = ?", query.state.map { .text($0.rawValue) })
        filter.add("amount >= ?", query.minAmount.map(SQLiteValue.integer))
        filter.add("amount <= ?", query.maxAmount.map(SQLiteValue.integer))
        filter.add("updated_at >= ?", query.minDate.map(SQLiteValue.integer))
        filter.add("updated_at <= ?", query.maxDate.map(SQLiteValue.integer))
        filter.add("(updated_at, seq) < (?, ?)", query.after.map { .integer($0.timestamp) }, query.after.map { .integer($0.sequence) })
        // The page's keys come from the index alone; only those rows are read from the table.
        return try connection.read { db in
            try db.query(
                """
                SELECT \(Self.columns) FROM payments WHERE seq IN (
                    SELECT seq FROM payments INDEXED BY \(try Self.accessPath(for: query, in: db)) \(filter.clause)
                    ORDER BY updated_at DESC, seq DESC LIMIT ?)
                ORDER BY updated_at DESC, seq DESC
                """,
                filter.parameters + [.integer(Int64(query.limit))]
            ).map(Self.payment)
        }
    }

    /// The index a list query reads, chosen per query (SQLite's planner has no statistics for
    /// a bound parameter's range, and guesses wrong one way or the other):
    /// - without an amount range: the time-ordered index (with the state in front when
    ///   filtered by it), read newest first until the page is full;
    /// - with one: a count on the amount index, stopped at `cap`, says how many rows the range
    ///   holds. Up to `cap`, they are taken from the amount index and the newest `limit` kept;
    ///   more, and the time-ordered scan fills the page sooner (it reads about
    ///   limit × rows / matches entries). `cap` is ¼ √(limit × rows) (2,500 at 1M rows): the
    ///   count stays cheap for broad ranges, and only ranges matching ¼–1 % of the rows scan
    ///   up to 4 × √(limit × rows) entries (measured: counting costs ~0.09 µs an entry).
    ///   Either way only index entries are read, then the page's rows.
    static func accessPath(for query: PaymentListQuery, in db: Database) throws -> String {
        let ordered = query.state == nil ? "payments_updated" : "payments_state_updated"
        guard query.minAmount != nil || query.maxAmount != nil else { return ordered }
        let rows = try db.queryOne("SELECT max(seq) FROM payments")?[0].int64 ?? 0
        let cap = max(500, Int64((Double(query.limit) * Double(rows)).squareRoot() / 4))
        let byAmount = query.state == nil ? "payments_amount" : "payments_state_amount"
        var parameters: [SQLiteValue] = query.state.map { [.text($0.rawValue)] } ?? []
        parameters += [.integer(query.minAmount ?? Int64.min), .integer(query.maxAmount ?? Int64.max), .integer(cap + 1)]
        let matches = try db.queryOne(
            "SELECT count(*) FROM (SELECT 1 FROM payments INDEXED BY \(byAmount) WHERE \(query.state == nil ? "" : "state = ? AND ")amount BETWEEN ? AND ? LIMIT ?)",
            parameters
        )?[0].int64 ?? 0
        return matches <= cap ? byAmount : ordered
    }

    public func transitionStale(from: PaymentState, to: PaymentState, updatedBefore cutoff: Int64, changes: PaymentChanges, at: Int64, limit: Int) throws -> Int {
        precondition(from.allows(to), "\(from) -> \(to) is not a payment transition")
        return try connection.write { db in
            try db.run(
                """
                UPDATE payments SET state = ?, updated_at = ?,
                    payment_id = coalesce(?, payment_id), error_reason = coalesce(?, error_reason)
                WHERE seq IN (SELECT seq FROM payments INDEXED BY payments_state_updated WHERE state = ? AND updated_at < ? LIMIT ?)
                """,
                [.text(to.rawValue), .integer(at), .optionalText(changes.paymentID), .optionalText(changes.errorReason),
                 .text(from.rawValue), .integer(cutoff), .integer(Int64(limit))]
            )
        }
    }

    private static func payment(transactionID: String, in db: Database) throws -> Payment? {
        try db.queryOne("SELECT \(columns) FROM payments WHERE transaction_id = ?", [.text(transactionID)]).map(payment)
    }

    private static func payment(_ row: Row) throws -> Payment {
        func get<T: SQLiteColumnValue>(_ column: Column) throws -> T { try row.get(at: column.rawValue) }
        let state: String = try get(.state)
        guard let decoded = PaymentState(rawValue: state) else {
            throw SQLiteError(.mismatch, message: "payments.state holds unknown state \(state)")
        }
        return Payment(
            sequence: try get(.seq), transactionID: try get(.transactionID), reference: try get(.reference),
            amount: try get(.amount), returnURL: try get(.returnURL), state: decoded,
            paymentID: try get(.paymentID), maskedCard: try get(.maskedCard), errorReason: try get(.errorReason),
            createdAt: try get(.createdAt), updatedAt: try get(.updatedAt)
        )
    }
}
