import PaymentsDomain
import Postgres

/// ``StoreHealth`` on one PostgreSQL connection: updates the one `service_heartbeat` row, so
/// an unreachable server, a read-only standby or a full disk all show.
public final class PostgresStoreHealth: StoreHealth {
    private let connection: PostgresConnection

    /// Uses `connection`, whose database must be migrated (see ``PostgresSchema``).
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public func checkWritable(by checker: String, at time: Int64) throws {
        let changed = try connection.transaction { db in
            try db.run("UPDATE service_heartbeat SET checked_at = $1, checked_by = $2 WHERE id = 1", [.integer(time), .text(checker)])
        }
        guard changed == 1 else { throw PostgresError(.server, message: "the service_heartbeat row is missing") }
    }
}
