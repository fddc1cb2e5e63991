/// One schema step; versions count up from 1 and are recorded in `schema_migrations`.
public struct PostgresMigration: Sendable {
    /// The version the database has once this step is applied.
    public let version: Int
    /// The statements of the step, run in the migrating transaction.
    public let sql: String

    /// Creates a migration step.
    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}

/// Applies migrations in order, exactly once however many hosts start together: the version
/// check and every step run in one transaction holding a transaction-scoped advisory lock, so
/// the second host waits for the first to commit and then finds nothing left to do.
public struct PostgresMigrator: Sendable {
    /// The ordered steps.
    public let migrations: [PostgresMigration]
    /// The advisory lock's key: any constant other users of the database do not take.
    public let lockKey: Int64

    /// Creates a migrator; `migrations` must have versions 1, 2, 3, ... in order.
    public init(_ migrations: [PostgresMigration], lockKey: Int64) {
        precondition(
            migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version },
            "migration versions must be 1, 2, 3, ... in order"
        )
        self.migrations = migrations
        self.lockKey = lockKey
    }

    /// The version the newest migration produces.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies the missing steps; returns how many this call applied.
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> Int {
        try connection.transaction { db in
            try db.run("SELECT pg_advisory_xact_lock($1)", [.integer(lockKey)])
            try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            let current = try Self.version(in: db)
            guard current <= latestVersion else {
                throw PostgresError(.misuse, message: "database schema version \(current) is newer than this build knows (\(latestVersion))")
            }
            let pending = migrations.filter { $0.version > current }
            for migration in pending {
                try db.execute(migration.sql)
                try db.run("INSERT INTO schema_migrations (version) VALUES ($1)", [.integer(Int64(migration.version))])
            }
            return pending.count
        }
    }

    /// The schema version of the database behind `connection` (0 before the first migration).
    public static func version(of connection: PostgresConnection) throws -> Int {
        guard try connection.queryOne("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")?.get("present") == true else { return 0 }
        return try version(in: connection)
    }

    private static func version(in db: PostgresConnection) throws -> Int {
        try db.queryOne("SELECT coalesce(max(version), 0) AS version FROM schema_migrations")?.get("version") ?? 0
    }
}
