import PaymentsDomain
import Postgres
import SQL

/// ``JobLock`` as a session-level advisory lock on one PostgreSQL connection: taken without
/// waiting, released when the job ends (or by the server when the connection drops).
public final class PostgresJobLock: JobLock {
    private let connection: PostgresConnection
    private let key: Int64

    /// A lock named by `key` on `connection` (keep it apart from the stores' connections: the
    /// job's own transactions run on those).
    public init(connection: PostgresConnection, key: Int64) {
        self.connection = connection
        self.key = key
    }

    public func whileHeld<T>(_ body: () throws -> T) throws -> T? {
        guard try connection.queryOne("SELECT pg_try_advisory_lock($1) AS held", [.integer(key)])?.get("held") == true else { return nil }
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [.integer(key)]) }
        return try body()
    }
}
