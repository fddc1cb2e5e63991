import SQLite

/// ``PaymentStore`` on one SQLite connection.
public final class SQLitePaymentStore: PaymentStore {
    private let db: Connection
    private static let columns = "seq, transaction_id, reference, amount, return_url, state, payment_id, card_masked, error_reason, created_at, updated_at"

    /// Uses `connection`, which must be migrated (see ``Schema``).
    public init(connection: Connection) {
        db = connection
    }

    public func insert(_ payment: Payment) throws {
        _ = try db.write {
            try db.run(
                "INSERT INTO payments (transaction_id, reference, amount, return_url, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [.text(payment.transactionID), .text(payment.reference), .integer(payment.amount), .text(payment.returnURL),
                 .text(payment.state.rawValue), .integer(payment.createdAt), .integer(payment.updatedAt)]
            )
        }
    }

    public func payment(transactionID: String) throws -> Payment? {
        try db.queryOne("SELECT \(Self.columns) FROM payments WHERE transaction_id = ?", [.text(transactionID)]).flatMap(Self.payment)
    }

    public func transition(transactionID: String, from: PaymentState, to: PaymentState, changes: PaymentChanges, at: Int64) throws -> Payment? {
        guard from.allows(to) else { return nil }
        return try db.write {
            let changed = try db.run(
                """
                UPDATE payments SET state = ?, updated_at = ?,
                    payment_id = coalesce(?, payment_id), card_masked = coalesce(?, card_masked), error_reason = coalesce(?, error_reason)
                WHERE transaction_id = ? AND state = ?
                """,
                [.text(to.rawValue), .integer(at), .optionalText(changes.paymentID), .optionalText(changes.maskedCard),
                 .optionalText(changes.errorReason), .text(transactionID), .text(from.rawValue)]
            )
            return changed == 1 ? try payment(transactionID: transactionID) : nil
        }
    }

    public func payments(_ query: PaymentListQuery) throws -> [Payment] {
        var conditions: [String] = []
        var parameters: [SQLiteValue] = []
        func add(_ condition: String, _ value: SQLiteValue) {
            conditions.append(condition)
            parameters.append(value)
        }
        if let state = query.state { add("state = ?", .text(state.rawValue)) }
        if let min = query.minAmount { add("amount >= ?", .integer(min)) }
        if let max = query.maxAmount { add("amount <= ?", .integer(max)) }
        if let min = query.minDate { add("updated_at >= ?", .integer(min)) }
        if let max = query.maxDate { add("updated_at <= ?", .integer(max)) }
        if let after = query.after {
            conditions.append("(updated_at, seq) < (?, ?)")
            parameters.append(contentsOf: [.integer(after.timestamp), .integer(after.sequence)])
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        parameters.append(.integer(Int64(query.limit)))
        return try db.query(
            "SELECT \(Self.columns) FROM payments \(filter) ORDER BY updated_at DESC, seq DESC LIMIT ?",
            parameters
        ).compactMap(Self.payment)
    }

    public func failStale(updatedBefore cutoff: Int64, reason: String, at: Int64) throws -> Int {
        try db.write {
            try db.run(
                "UPDATE payments SET state = 'ERROR', error_reason = ?, updated_at = ? WHERE state = 'card' AND updated_at < ?",
                [.text(reason), .integer(at), .integer(cutoff)]
            )
        }
    }

    private static func payment(_ row: Row) -> Payment? {
        guard let sequence = row["seq"].int64, let transactionID = row["transaction_id"].string, let reference = row["reference"].string,
              let amount = row["amount"].int64, let returnURL = row["return_url"].string,
              let state = row["state"].string.flatMap(PaymentState.init(rawValue:)),
              let createdAt = row["created_at"].int64, let updatedAt = row["updated_at"].int64 else { return nil }
        return Payment(
            sequence: sequence, transactionID: transactionID, reference: reference, amount: amount, returnURL: returnURL, state: state,
            paymentID: row["payment_id"].string, maskedCard: row["card_masked"].string, errorReason: row["error_reason"].string,
            createdAt: createdAt, updatedAt: updatedAt
        )
    }
}
