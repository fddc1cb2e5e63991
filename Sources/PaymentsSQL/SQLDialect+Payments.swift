import PaymentsDomain
import SQL

/// What the stores' statements write differently per database; everything else is one text.
extension SQLDialect {
    /// The orders table's insertion order: SQLite's rowid, PostgreSQL's identity column.
    var orderSequence: String {
        switch self {
        case .sqlite: "rowid"
        case .postgres: "seq"
        }
    }

    /// Locks the rows a decision reads until the transaction ends. PostgreSQL needs it: other
    /// hosts' transactions run beside this one. SQLite's `BEGIN IMMEDIATE` already keeps every
    /// other writer out.
    var forUpdate: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE"
        }
    }

    /// Locks a batch's rows, passing over rows another transaction is moving (left to it).
    var forUpdateSkipLocked: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE SKIP LOCKED"
        }
    }

    /// Names the index SQLite reads (its planner has no statistics for a bound parameter's
    /// range, or does not see that a partial index fits); PostgreSQL's planner chooses.
    func indexedBy(_ index: String?) -> String {
        guard self == .sqlite, let index else { return "" }
        return " INDEXED BY \(index)"
    }

    /// `status = ?` for the order list. PostgreSQL: `= ANY` of a one-element array, not `=`:
    /// with `=` its planner knows the status is constant, drops it from the ORDER BY and may
    /// walk the time index through the newest orders of other statuses (measured: 10,056 rows
    /// filtered, 32 ms per page at 1M rows); ordered by status first, only the status index
    /// gives the order (0.07 ms).
    func orderStatusEquals(_ status: OrderStatus) -> SQLQuery {
        switch self {
        case .sqlite: return "status = \(status.rawValue)"
        case .postgres:
            let array = "{\"\(status.rawValue)\"}"
            return "status = ANY(\(array)::text[])"
        }
    }
}

extension SQLQuery {
    /// Constant values of the program written into the SQL as a list of literals (`'a', 'b'`):
    /// a partial index is read only for a query whose terms match its WHERE clause.
    static func literals(_ values: [String]) -> SQLQuery {
        SQLQuery(stringLiteral: StoredLiterals.list(values))
    }
}

/// The domain's values that the schemas' partial indexes and the queries reading them both
/// write as literals, from one place, so that they always match.
public enum StoredLiterals {
    /// `'requested', 'pending'`: operations whose outcome is still to be learned.
    public static let openOperationStates = list(OrderOperation.State.open.map(\.rawValue))
    /// `'PENDING'`.
    public static let pendingOrderStatus = list([OrderStatus.pending.rawValue])
    /// The statuses of an order with a payment still open to capture, refund or void.
    public static let openOrderStatuses = list(OrderStatus.open.map(\.rawValue))

    /// `'a', 'b'`, each value quoted.
    public static func list(_ values: [String]) -> String {
        values.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ", ")
    }
}
