import Postgres
import PaymentsSQL
import ServiceSupport

/// The PostgreSQL schema, as ordered migrations: the same tables, columns and rules as the
/// SQLite ``PaymentsSQLite`` schema at its latest version, in PostgreSQL's types (`BIGINT`
/// epoch milliseconds, `BYTEA`), with an identity column where SQLite has its rowid.
public enum PostgresSchema {
    /// All migrations of this build. The lock key spells "payments" in ASCII.
    public static let migrator = PostgresMigrator([
        PostgresMigration(version: 1, sql: """
            CREATE TABLE orders (
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                id TEXT PRIMARY KEY,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                amount BIGINT NOT NULL CHECK (amount > 0),
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                receipt TEXT,
                status TEXT NOT NULL,
                session_id TEXT UNIQUE,
                session_url TEXT,
                transaction_id TEXT UNIQUE,
                captured_amount BIGINT NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
                refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
                expires_at BIGINT,
                checked_at BIGINT NOT NULL
            );
            -- GET /orders pages newest first on a (created_at, seq) keyset; with a status filter
            -- the status-first index keeps the same order.
            CREATE INDEX orders_created ON orders (created_at, seq);
            CREATE INDEX orders_status_created ON orders (status, created_at, seq);
            CREATE INDEX orders_status_updated ON orders (status, updated_at);
            CREATE INDEX orders_status_checked ON orders (status, checked_at);
            CREATE TABLE order_events (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                at BIGINT NOT NULL,
                from_status TEXT,
                to_status TEXT NOT NULL,
                source TEXT NOT NULL,
                transaction_id TEXT,
                detail TEXT,
                amount BIGINT,
                operation_id TEXT
            );
            CREATE INDEX order_events_order ON order_events (order_id, id);
            CREATE TABLE order_operations (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                kind TEXT NOT NULL CHECK (kind IN ('capture', 'refund', 'void')),
                amount BIGINT CHECK (amount IS NULL OR amount > 0),
                state TEXT NOT NULL CHECK (state IN ('requested', 'pending', 'succeeded', 'failed', 'not_sent')),
                request_id TEXT,
                detail TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE INDEX order_operations_order ON order_operations (order_id, created_at);
            CREATE INDEX order_operations_open ON order_operations (updated_at) WHERE state IN (\(StoredLiterals.openOperationStates));
            -- The /payments broker. The CVC is never stored; the card only masked.
            CREATE TABLE payments (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                transaction_id TEXT NOT NULL UNIQUE,
                reference TEXT NOT NULL,
                amount BIGINT NOT NULL CHECK (amount > 0),
                return_url TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('init', 'card', 'OK', 'ERROR')),
                payment_id TEXT,
                card_masked TEXT CHECK (card_masked IS NULL OR card_masked LIKE '%*%'),
                error_reason TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            -- GET /payments lists by latest change, newest first: the time-ordered indexes carry
            -- the amount (index-only filtering), the amount-ordered ones serve narrow ranges; the
            -- planner picks per query from its statistics (list queries are planned per call).
            CREATE INDEX payments_updated ON payments (updated_at, seq) INCLUDE (amount);
            CREATE INDEX payments_state_updated ON payments (state, updated_at, seq) INCLUDE (amount);
            CREATE INDEX payments_amount ON payments (amount, updated_at);
            CREATE INDEX payments_state_amount ON payments (state, amount, updated_at);
            -- Idempotency keys per API-key scope; the request only as a SHA-256 fingerprint.
            CREATE TABLE idempotency_keys (
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                owner TEXT,
                lease_until BIGINT NOT NULL,
                resource_id TEXT,
                status INTEGER,
                content_type TEXT,
                headers TEXT,
                body BYTEA,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (scope, key)
            );
            CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
            -- One row that readiness checks update: proof that this host can write.
            CREATE TABLE service_heartbeat (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                checked_at BIGINT NOT NULL,
                checked_by TEXT NOT NULL
            );
            INSERT INTO service_heartbeat (id, checked_at, checked_by) VALUES (1, 0, '');
            """),
        // The sweeper finds interrupted creates by (status, created_at), as on SQLite.
        PostgresMigration(version: 2, sql: """
            DROP INDEX orders_status_updated;
            """),
    ], lockKey: 0x7061_796D_656E_7473)

    /// Connects and applies missing migrations (exactly once across hosts).
    public static func openAndMigrate(url: String) throws -> PostgresConnection {
        let connection = PostgresConnection(url: url, options: .init(applicationName: "payments-migrate"))
        try migrator.migrate(connection)
        return connection
    }

    /// A connection for one accept thread, opened on first use. The schema version is checked
    /// by ``checkVersion(url:)`` once per process, not per connection.
    public static func connection(url: String, applicationName: String = "payments-worker") -> PostgresConnection {
        PostgresConnection(url: url, options: .init(applicationName: applicationName))
    }

    /// Throws unless the database has this build's schema version.
    public static func checkVersion(url: String) throws {
        let connection = PostgresConnection(url: url)
        defer { connection.close() }
        let version = try PostgresMigrator.version(of: connection)
        guard version == migrator.latestVersion else {
            throw ConfigurationError("the PostgreSQL database has schema version \(version), this build needs \(migrator.latestVersion); start the supervisor to migrate")
        }
    }
}
