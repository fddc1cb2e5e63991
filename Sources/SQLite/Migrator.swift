/// One schema step; versions count up from 1 and are stored in `PRAGMA user_version`.
public struct Migration: Sendable {
    /// The `user_version` the database has once this step is applied.
    public let version: Int
    /// The statements of the step, run in one transaction.
    public let sql: String

    /// Creates a migration step.
    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}

/// Applies migrations in order, race-free across processes.
///
/// The version check and the steps run inside one `BEGIN IMMEDIATE` transaction, so when
/// several processes start at once exactly one applies each step and the others see it done.
public struct Migrator: Sendable {
    /// The ordered steps.
    public let migrations: [Migration]

    /// Creates a migrator; `migrations` must have versions 1, 2, 3, ... in order.
    public init(_ migrations: [Migration]) {
        precondition(
            migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version },
            "migration versions must be 1, 2, 3, ... in order"
        )
        self.migrations = migrations
    }

    /// The version the newest migration produces.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies the missing steps; returns how many this call applied.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> Int {
        try connection.write {
            let current = try Self.version(of: connection)
            guard current <= latestVersion else {
                throw SQLiteError(
                    code: 1,
                    message: "database schema version \(current) is newer than this build knows (\(latestVersion))"
                )
            }
            let pending = migrations.filter { $0.version > current }
            for migration in pending {
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
            return pending.count
        }
    }

    /// The schema version stored in the database.
    public static func version(of connection: Connection) throws -> Int {
        Int(try connection.queryOne("PRAGMA user_version")?[0].int64 ?? 0)
    }
}
