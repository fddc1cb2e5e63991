import PaymentsDomain
import SQL

/// ``IdempotencyStore`` on one connection to either database; every step is one write
/// transaction. A claim is an `INSERT … ON CONFLICT DO NOTHING` (in PostgreSQL a concurrent
/// claim of the same key waits for the first to commit, then loses); take-over and release
/// are compare-and-set UPDATEs on the owner, so exactly one request owns a key at a time.
public final class SQLIdempotencyStore<Connection: SQLConnection>: IdempotencyStore {
    private let connection: Connection

    /// Uses `connection`, whose database must be migrated.
    public init(connection: Connection) {
        self.connection = connection
    }

    public func claim(_ record: IdempotencyRecord) throws -> IdempotencyRecord? {
        // PostgreSQL: the existing row can vanish between the two statements (its owner
        // released it); then the insert is tried again.
        for _ in 0..<3 {
            let outcome: ClaimOutcome = try connection.write { db in
                let inserted = try db.run("""
                    INSERT INTO idempotency_keys (scope, key, fingerprint, owner, lease_until, created_at)
                    VALUES (\(record.scope), \(record.key), \(record.fingerprint), \(record.owner), \(record.leaseUntil), \(record.createdAt))
                    ON CONFLICT (scope, key) DO NOTHING
                    """)
                if inserted == 1 { return .claimed }
                let row = try db.queryOne("SELECT * FROM idempotency_keys WHERE scope = \(record.scope) AND key = \(record.key)")
                return try row.map { .existing(try Self.record($0)) } ?? .vanished
            }
            switch outcome {
            case .claimed: return nil
            case .existing(let existing): return existing
            case .vanished: continue
            }
        }
        throw StoredDataError.keyKeptVanishing
    }

    public func takeOver(scope: String, key: String, from previousOwner: String?, to owner: String, leaseUntil: Int64) throws -> Bool {
        try connection.write { db in
            try db.run("""
                UPDATE idempotency_keys SET owner = \(owner), lease_until = \(leaseUntil)
                WHERE scope = \(scope) AND key = \(key) AND status IS NULL AND owner IS NOT DISTINCT FROM \(previousOwner)
                """) == 1
        }
    }

    public func complete(scope: String, key: String, response: StoredResponse) throws {
        try connection.write { db in
            try db.run("""
                UPDATE idempotency_keys SET owner = NULL, status = \(response.status), content_type = \(response.contentType),
                    headers = \(response.headerLines), body = \(response.body)
                WHERE scope = \(scope) AND key = \(key)
                """)
        }
    }

    public func release(scope: String, key: String, owner: String) throws {
        try connection.write { db in
            let held: SQLQuery = "scope = \(scope) AND key = \(key) AND owner = \(owner) AND status IS NULL"
            try db.run("DELETE FROM idempotency_keys WHERE \(held) AND resource_id IS NULL")
            // It created something already: a retry resumes it instead of creating another.
            try db.run("UPDATE idempotency_keys SET owner = NULL WHERE \(held)")
        }
    }

    public func purge(createdBefore cutoff: Int64) throws -> Int {
        try connection.write { db in try db.run("DELETE FROM idempotency_keys WHERE created_at < \(cutoff)") }
    }

    /// Records `resourceID` as what the key's request created, inside the caller's write.
    static func link(_ link: IdempotencyLink, to resourceID: String, in db: Connection.Database) throws {
        try db.run("UPDATE idempotency_keys SET resource_id = \(resourceID) WHERE scope = \(link.scope) AND key = \(link.key)")
    }

    private static func record(_ row: SQLRow) throws -> IdempotencyRecord {
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

/// What one attempt at claiming a key found.
private enum ClaimOutcome { case claimed, existing(IdempotencyRecord), vanished }
