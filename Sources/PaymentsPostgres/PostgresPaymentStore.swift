import PaymentsDomain
import Postgres

/// ``PaymentStore`` on one PostgreSQL connection: state changes are conditional UPDATEs
/// (`WHERE state = from`), so of two racing submissions, on any hosts, exactly one moves the
/// payment (the second waits for the first's row lock, then finds the state changed).
public final class PostgresPaymentStore: PaymentStore {
    private let connection: PostgresConnection
    private static let columns = "seq, transaction_id, reference, amount, return_url, state, payment_id, card_masked, error_reason, created_at, updated_at"

    /// Uses `connection`, whose database must be migrated (see ``PostgresSchema``).
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public func insert(_ payment: Payment, linking link: IdempotencyLink?) throws {
        try connection.transaction { db in
            try db.run(
                "INSERT INTO payments (transaction_id, reference, amount, return_url, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [.text(payment.transactionID), .text(payment.reference), .integer(payment.amount), .text(payment.returnURL),
                 .text(payment.state.rawValue), .integer(payment.createdAt), .integer(payment.updatedAt)]
            )
            if let link { try PostgresIdempotencyStore.link(link, to: payment.transactionID, in: db) }
        }
    }

    public func payment(transactionID: String) throws -> Payment? {
        try connection.queryOne("SELECT \(Self.columns) FROM payments WHERE transaction_id = $1", [.text(transactionID)]).map(Self.payment)
    }

    public func transition(transactionID: String, from: PaymentState, to: PaymentState, changes: PaymentChanges, at: Int64) throws -> Payment? {
        guard from.allows(to) else { return nil }
        return try connection.transaction { db in
            try db.queryOne(
                """
                UPDATE payments SET state = $1, updated_at = $2,
                    payment_id = coalesce($3, payment_id), card_masked = coalesce($4, card_masked), error_reason = coalesce($5, error_reason)
                WHERE transaction_id = $6 AND state = $7
                RETURNING \(Self.columns)
                """,
                [.text(to.rawValue), .integer(at), .optionalText(changes.paymentID), .optionalText(changes.maskedCard),
                 .optionalText(changes.errorReason), .text(transactionID), .text(from.rawValue)]
            ).map(Self.payment)
        }
    }

    public func payments(_ query: PaymentListQuery) throws -> [Payment] {
        var filter = PostgresFilter()
        filter.add("state = $", query.state.map { .text($0.rawValue) })
        filter.add("amount >= $", query.minAmount.map(PostgresValue.integer))
        filter.add("amount <= $", query.maxAmount.map(PostgresValue.integer))
        filter.add("updated_at >= $", query.minDate.map(PostgresValue.integer))
        filter.add("updated_at <= $", query.maxDate.map(PostgresValue.integer))
        filter.add("(updated_at, seq) < ($, $)", query.after.map { .integer($0.timestamp) }, query.after.map { .integer($0.sequence) })
        let limit = filter.placeholder(.integer(Int64(query.limit)))
        // Planned for these values (unnamed statement): whether the amount index or the
        // time-ordered one fills the page sooner depends on how much of the table the range
        // holds, which the planner's statistics know and a generic plan would not.
        return try connection.query(
            "SELECT \(Self.columns) FROM payments \(filter.clause) ORDER BY updated_at DESC, seq DESC LIMIT \(limit)",
            filter.parameters, prepared: false
        ).map(Self.payment)
    }

    public func transitionStale(from: PaymentState, to: PaymentState, updatedBefore cutoff: Int64, changes: PaymentChanges, at: Int64, limit: Int) throws -> Int {
        precondition(from.allows(to), "\(from) -> \(to) is not a payment transition")
        return try connection.transaction { db in
            // SKIP LOCKED: a payment a worker is moving right now is left to that worker. The
            // batch is a CTE, evaluated once (a LIMIT in an `IN` subquery may be re-run and
            // let more rows through).
            try db.run(
                """
                WITH stale AS (
                    SELECT seq FROM payments WHERE state = $5 AND updated_at < $6 ORDER BY updated_at LIMIT $7 FOR UPDATE SKIP LOCKED)
                UPDATE payments SET state = $1, updated_at = $2,
                    payment_id = coalesce($3, payment_id), error_reason = coalesce($4, error_reason)
                FROM stale WHERE payments.seq = stale.seq
                """,
                [.text(to.rawValue), .integer(at), .optionalText(changes.paymentID), .optionalText(changes.errorReason),
                 .text(from.rawValue), .integer(cutoff), .integer(Int64(limit))]
            )
        }
    }

    private static func payment(_ row: PostgresRow) throws -> Payment {
        let state: String = try row.get("state")
        guard let decoded = PaymentState(rawValue: state) else {
            throw PostgresError(.decoding, message: "payments.state holds unknown state \(state)")
        }
        return Payment(
            sequence: try row.get("seq"), transactionID: try row.get("transaction_id"), reference: try row.get("reference"),
            amount: try row.get("amount"), returnURL: try row.get("return_url"), state: decoded,
            paymentID: try row.get("payment_id"), maskedCard: try row.get("card_masked"), errorReason: try row.get("error_reason"),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at")
        )
    }
}
