import PaymentsDomain
import SQLite

/// ``StoreHealth`` on one SQLite connection: updates the one `service_heartbeat` row in a
/// `BEGIN IMMEDIATE` transaction, so a full disk, a read-only file or a lock held past the
/// busy timeout all show.
public final class SQLiteStoreHealth: StoreHealth {
    private let connection: Connection

    /// Uses `connection`, which must be migrated (see ``Schema``).
    public init(connection: Connection) {
        self.connection = connection
    }

    public func checkWritable(by checker: String, at time: Int64) throws {
        let changed = try connection.write { db in
            try db.run("UPDATE service_heartbeat SET checked_at = ?, checked_by = ? WHERE id = 1", [.integer(time), .text(checker)])
        }
        guard changed == 1 else { throw SQLiteStoreHealthError.heartbeatRowMissing }
    }
}

/// The heartbeat row is gone (someone edited the database by hand).
public enum SQLiteStoreHealthError: Error, CustomStringConvertible {
    case heartbeatRowMissing
    public var description: String { "the service_heartbeat row is missing" }
}
