import Foundation
import PaymentsDomain
import PaymentsPostgres
import PaymentsSQL
import PaymentsSQLite
import ServiceSupport
import SQL

/// The stores of one thread, on one database connection.
public struct StoreSet {
    public let orders: OrderStore
    public let payments: PaymentStore
    public let idempotency: IdempotencyStore
    public let health: StoreHealth

    /// The stores on `connection`, whose database must be migrated.
    public init(connection: some SQLConnection) {
        orders = SQLOrderStore(connection: connection)
        payments = SQLPaymentStore(connection: connection)
        idempotency = SQLIdempotencyStore(connection: connection)
        health = SQLStoreHealth(connection: connection)
    }
}

/// Where orders and payments are kept: an SQLite file (the default, one host) or a PostgreSQL
/// database shared by several hosts (`DATABASE_URL`).
public enum Storage: Sendable, CustomStringConvertible {
    /// An SQLite file in WAL mode.
    case sqlite(path: String)
    /// A PostgreSQL database (`postgres://…`).
    case postgres(url: String)

    /// Applies missing migrations: race-free across the processes of a host (SQLite) or across
    /// hosts (PostgreSQL).
    public func migrate() throws {
        switch self {
        case .sqlite(let path):
            let directory = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
            try Schema.openAndMigrate(path: path).close()
        case .postgres(let url):
            try PostgresSchema.openAndMigrate(url: url).close()
        }
    }

    /// Writes a backup of the SQLite database to `target` while the service runs: a consistent
    /// snapshot, written beside the target first and checked (`integrity_check`) before it is
    /// renamed into place, so `target` is either a whole, valid database or absent. Refuses to
    /// overwrite. PostgreSQL is backed up with its own tools (docs/operations.md, "Backups").
    public func backup(to target: String) throws -> String {
        guard case .sqlite(let path) = self else {
            throw ConfigurationError("backup copies the SQLite file; for PostgreSQL use pg_basebackup, pg_dump or a standby (docs/operations.md, \"Backups\")")
        }
        return try SQLiteBackup.write(from: path, to: target)
    }

    /// Throws unless the database has this build's schema (a worker started before the
    /// migration). For SQLite every connection ``openStores(checkpointsElsewhere:walPauseBytes:applicationName:)``
    /// opens checks it already; a PostgreSQL connection does not, so it is checked here once.
    public func checkSchema() throws {
        if case .postgres(let url) = self { try PostgresSchema.checkVersion(url: url) }
    }

    /// The stores for one thread, on one connection of their own. For SQLite, with
    /// `checkpointsElsewhere` its commits never checkpoint (the supervisor's checkpointer does)
    /// and its writes pause while the WAL holds more than `walPauseBytes`; a PostgreSQL
    /// connection is opened at once if the server answers, else on first use.
    public func openStores(checkpointsElsewhere: Bool = false, walPauseBytes: Int = 0, applicationName: String = "payments-worker") throws -> StoreSet {
        switch self {
        case .sqlite(let path):
            let connection = try Schema.open(path: path, checkpointsElsewhere: checkpointsElsewhere, walPauseBytes: walPauseBytes)
            return StoreSet(connection: connection)
        case .postgres(let url):
            let connection = PostgresSchema.connection(url: url, applicationName: applicationName)
            // Connected now, so no request pays for the connection (measured: a fresh backend
            // took a first request's latency to ~0.2 s on a busy host); when the server is
            // away the connection opens on first use instead.
            try? connection.connect()
            return StoreSet(connection: connection)
        }
    }

    /// The lock that lets one process of all hosts run the sweeper at a time: PostgreSQL's
    /// advisory lock on a connection of its own; with SQLite there is one host, whose one
    /// supervisor runs it.
    public func sweeperLock() -> JobLock {
        switch self {
        case .sqlite: return AlwaysHeld()
        case .postgres(let url):
            // "sweeper" in ASCII.
            return PostgresJobLock(connection: PostgresSchema.connection(url: url, applicationName: "payments-sweeper-lock"), key: 0x73_7765_6570_6572)
        }
    }

    private struct AlwaysHeld: JobLock {
        func whileHeld<T>(_ body: () throws -> T) throws -> T? { try body() }
    }

    /// The SQLite file, when that is the store (its WAL needs a checkpointer; its size is reported).
    public var sqlitePath: String? {
        if case .sqlite(let path) = self { return path }
        return nil
    }

    /// `sqlite` or `postgresql`.
    public var engine: String {
        switch self {
        case .sqlite: return "sqlite"
        case .postgres: return "postgresql"
        }
    }

    /// Where, for logs and the status page: the file, or the server and database without the
    /// user's password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return Self.redacted(url)
        }
    }

    /// `url` with any password in it replaced by `***`.
    static func redacted(_ url: String) -> String {
        if let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") {
            let userInfo = url[scheme.upperBound..<at]
            guard let colon = userInfo.firstIndex(of: ":") else { return url }
            return String(url[..<colon]) + ":***" + String(url[at...])
        }
        // key=value form: drop a password=… pair.
        return url.split(separator: " ").map { $0.lowercased().hasPrefix("password=") ? "password=***" : String($0) }.joined(separator: " ")
    }

    /// The store the environment selects: `DATABASE_URL` (or the file `DATABASE_URL_FILE`
    /// names) for PostgreSQL, else the SQLite file `ORDERS_DB`.
    static func from(_ environment: Environment) throws -> Storage {
        guard let url = try environment.secret("DATABASE_URL")?.trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty else {
            return .sqlite(path: environment.string("ORDERS_DB") ?? "run/orders.sqlite")
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw ConfigurationError("DATABASE_URL must be a postgres:// or postgresql:// URL (unset it to use the SQLite file ORDERS_DB)")
        }
        return .postgres(url: url)
    }
}
