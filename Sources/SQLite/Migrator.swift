/// One schema step; versions count up from 1 and are stored in `PRAGMA user_version`.
public struct Migration: Sendable {
    /// The `user_version` the database has once this step is applied.
    public let version: Int
    /// The statements of the step, run in one transaction.
    public let sql: String
    /// Runs the step with foreign keys off (to rebuild a table that others reference, as
    /// SQLite's ALTER TABLE procedure requires), then checks them before committing.
    public let disablesForeignKeys: Bool

    /// Creates a migration step.
    public init(version: Int, disablesForeignKeys: Bool = false, sql: String) {
        self.version = version
        self.sql = sql
        self.disablesForeignKeys = disablesForeignKeys
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
        let seen = try connection.read { try Self.version(of: $0) }
        // `PRAGMA foreign_keys` is a no-op inside a transaction, so it is switched outside.
        let foreignKeysOff = migrations.contains { $0.version > seen && $0.disablesForeignKeys }
        if foreignKeysOff { try connection.execute("PRAGMA foreign_keys=OFF") }
        defer { if foreignKeysOff { try? connection.execute("PRAGMA foreign_keys=ON") } }
        return try connection.write { db in
            let current = try Self.version(of: db)
            guard current <= latestVersion else {
                throw SQLiteError(.error, message: "database schema version \(current) is newer than this build knows (\(latestVersion))")
            }
            let pending = migrations.filter { $0.version > current }
            for migration in pending {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
            if foreignKeysOff, let violation = try db.queryOne("PRAGMA foreign_key_check") {
                throw SQLiteError(.constraintForeignKey, message: "migration left a foreign key violation in table \(try violation.get("table") as String)")
            }
            return pending.count
        }
    }

    /// The schema version stored in the database.
    public static func version(of db: Database) throws -> Int {
        try db.queryOne("PRAGMA user_version")?.get("user_version") ?? 0
    }

    /// The schema version stored in the database behind `connection`.
    public static func version(of connection: Connection) throws -> Int {
        try connection.read { try version(of: $0) }
    }
}
