import PaymentsDomain
import SQL

/// ``StoreHealth`` on one connection to either database: updates the one `service_heartbeat`
/// row in a write transaction, so a full disk, a read-only file or standby, an unreachable
/// server or a lock held past the busy timeout all show.
public final class SQLStoreHealth<Connection: SQLConnection>: StoreHealth {
    private let connection: Connection

    /// Uses `connection`, whose database must be migrated.
    public init(connection: Connection) {
        self.connection = connection
    }

    public func checkWritable(by checker: String, at time: Int64) throws {
        let changed = try connection.write { db in
            try db.run("UPDATE service_heartbeat SET checked_at = \(time), checked_by = \(checker) WHERE id = 1")
        }
        guard changed == 1 else { throw StoredDataError.heartbeatRowMissing }
    }
}
