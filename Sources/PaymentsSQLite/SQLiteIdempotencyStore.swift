import PaymentsDomain
import SQLite

/// ``IdempotencyStore`` on one SQLite connection; every step is one `BEGIN IMMEDIATE`
/// transaction, so across worker processes exactly one request owns a key at a time.
public final class SQLiteIdempotencyStore: IdempotencyStore {
    private let connection: Connection

    /// Uses `connection`, which must be migrated (see ``Schema``).
    public init(connection: Connection) {
        self.connection = connection
    }

    public func claim(_ record: IdempotencyRecord) throws -> IdempotencyRecord? {
        try connection.write { db in
            if let row = try db.queryOne("SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?", [.text(record.scope), .text(record.key)]) {
                return try Self.record(row)
            }
            try db.run(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, owner, lease_until, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(record.scope), .text(record.key), .text(record.fingerprint), .optionalText(record.owner),
                 .integer(record.leaseUntil), .integer(record.createdAt)]
            )
            return nil
        }
    }

    public func takeOver(scope: String, key: String, from previousOwner: String?, to owner: String, leaseUntil: Int64) throws -> Bool {
        try connection.write { db in
            try db.run(
                "UPDATE idempotency_keys SET owner = ?, lease_until = ? WHERE scope = ? AND key = ? AND status IS NULL AND owner IS ?",
                [.text(owner), .integer(leaseUntil), .text(scope), .text(key), .optionalText(previousOwner)]
            ) == 1
        }
    }

    public func complete(scope: String, key: String, response: StoredResponse) throws {
        try connection.write { db in
            try db.run(
                "UPDATE idempotency_keys SET owner = NULL, status = ?, content_type = ?, headers = ?, body = ? WHERE scope = ? AND key = ?",
                [.integer(Int64(response.status)), .text(response.contentType), .text(response.headerLines), .blob(response.body), .text(scope), .text(key)]
            )
        }
    }

    public func release(scope: String, key: String, owner: String) throws {
        try connection.write { db in
            let parameters: [SQLiteValue] = [.text(scope), .text(key), .text(owner)]
            try db.run(
                "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND owner = ? AND status IS NULL AND resource_id IS NULL",
                parameters
            )
            // It created something already: a retry resumes it instead of creating another.
            try db.run("UPDATE idempotency_keys SET owner = NULL WHERE scope = ? AND key = ? AND owner = ? AND status IS NULL", parameters)
        }
    }

    public func purge(createdBefore cutoff: Int64) throws -> Int {
        try connection.write { db in
            try db.run("DELETE FROM idempotency_keys WHERE created_at < ?", [.integer(cutoff)])
        }
    }

    /// Records `resourceID` as what the key's request created, inside the caller's write.
    static func link(_ link: IdempotencyLink, to resourceID: String, in db: Database) throws {
        try db.run(
            "UPDATE idempotency_keys SET resource_id = ? WHERE scope = ? AND key = ?",
            [.text(resourceID), .text(link.scope), .text(link.key)]
        )
    }

    private static func record(_ row: Row) throws -> IdempotencyRecord {
        var response: StoredResponse?
        if let status: Int = try row.get("status") {
            let body: SQLiteValue = try row.get("body")
            guard case .blob(let bytes) = body else { throw SQLiteError(.mismatch, message: "idempotency_keys.body is not a blob") }
            response = StoredResponse(status: status, contentType: try row.get("content_type"), body: bytes, headers: StoredResponse.headers(fromLines: try row.get("headers") ?? ""))
        }
        return IdempotencyRecord(
            scope: try row.get("scope"), key: try row.get("key"), fingerprint: try row.get("fingerprint"),
            owner: try row.get("owner"), leaseUntil: try row.get("lease_until"), resourceID: try row.get("resource_id"),
            response: response, createdAt: try row.get("created_at")
        )
    }
}
