import PaymentsDomain
import Postgres

/// ``IdempotencyStore`` on one PostgreSQL connection. A claim is an `INSERT … ON CONFLICT DO
/// NOTHING` (a concurrent claim of the same key waits for the first to commit, then loses);
/// take-over and release are compare-and-set UPDATEs on the owner.
public final class PostgresIdempotencyStore: IdempotencyStore {
    private let connection: PostgresConnection

    /// Uses `connection`, whose database must be migrated (see ``PostgresSchema``).
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public func claim(_ record: IdempotencyRecord) throws -> IdempotencyRecord? {
        enum Outcome { case claimed, existing(IdempotencyRecord), vanished }
        // The existing row can vanish between the two statements (its owner released it):
        // then the insert is tried again.
        for _ in 0..<3 {
            let outcome: Outcome = try connection.transaction { db in
                let inserted = try db.run(
                    """
                    INSERT INTO idempotency_keys (scope, key, fingerprint, owner, lease_until, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (scope, key) DO NOTHING
                    """,
                    [.text(record.scope), .text(record.key), .text(record.fingerprint), .optionalText(record.owner),
                     .integer(record.leaseUntil), .integer(record.createdAt)]
                )
                if inserted == 1 { return .claimed }
                let row = try db.queryOne("SELECT * FROM idempotency_keys WHERE scope = $1 AND key = $2", [.text(record.scope), .text(record.key)])
                return try row.map { .existing(try Self.record($0)) } ?? .vanished
            }
            switch outcome {
            case .claimed: return nil
            case .existing(let existing): return existing
            case .vanished: continue
            }
        }
        throw PostgresError(.server, message: "idempotency key kept vanishing while being claimed")
    }

    public func takeOver(scope: String, key: String, from previousOwner: String?, to owner: String, leaseUntil: Int64) throws -> Bool {
        try connection.transaction { db in
            try db.run(
                "UPDATE idempotency_keys SET owner = $1, lease_until = $2 WHERE scope = $3 AND key = $4 AND status IS NULL AND owner IS NOT DISTINCT FROM $5",
                [.text(owner), .integer(leaseUntil), .text(scope), .text(key), .optionalText(previousOwner)]
            ) == 1
        }
    }

    public func complete(scope: String, key: String, response: StoredResponse) throws {
        try connection.transaction { db in
            try db.run(
                "UPDATE idempotency_keys SET owner = NULL, status = $1, content_type = $2, headers = $3, body = $4 WHERE scope = $5 AND key = $6",
                [.integer(Int64(response.status)), .text(response.contentType), .text(response.headerLines), .bytes(response.body), .text(scope), .text(key)]
            )
        }
    }

    public func release(scope: String, key: String, owner: String) throws {
        try connection.transaction { db in
            let parameters: [PostgresValue] = [.text(scope), .text(key), .text(owner)]
            try db.run(
                "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND owner = $3 AND status IS NULL AND resource_id IS NULL",
                parameters
            )
            // It created something already: a retry resumes it instead of creating another.
            try db.run("UPDATE idempotency_keys SET owner = NULL WHERE scope = $1 AND key = $2 AND owner = $3 AND status IS NULL", parameters)
        }
    }

    public func purge(createdBefore cutoff: Int64) throws -> Int {
        try connection.transaction { db in
            try db.run("DELETE FROM idempotency_keys WHERE created_at < $1", [.integer(cutoff)])
        }
    }

    /// Records `resourceID` as what the key's request created, inside the caller's transaction.
    static func link(_ link: IdempotencyLink, to resourceID: String, in db: PostgresConnection) throws {
        try db.run(
            "UPDATE idempotency_keys SET resource_id = $1 WHERE scope = $2 AND key = $3",
            [.text(resourceID), .text(link.scope), .text(link.key)]
        )
    }

    private static func record(_ row: PostgresRow) throws -> IdempotencyRecord {
        var response: StoredResponse?
        if let status: Int = try row.get("status") {
            response = StoredResponse(
                status: status, contentType: try row.get("content_type"), body: try row.get("body"),
                headers: StoredResponse.headers(fromLines: try row.get("headers") ?? "")
            )
        }
        return IdempotencyRecord(
            scope: try row.get("scope"), key: try row.get("key"), fingerprint: try row.get("fingerprint"),
            owner: try row.get("owner"), leaseUntil: try row.get("lease_until"), resourceID: try row.get("resource_id"),
            response: response, createdAt: try row.get("created_at")
        )
    }
}
