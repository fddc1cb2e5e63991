import PaymentsSQL
import ServiceSupport
import SQLite

/// The database schema, as ordered migrations.
public enum Schema {
    /// All migrations of this build.
    public static let migrator = Migrator([
        Migration(version: 1, sql: """
            CREATE TABLE orders (
                id TEXT PRIMARY KEY NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                amount INTEGER NOT NULL CHECK (amount > 0),
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                receipt TEXT,
                status TEXT NOT NULL,
                session_id TEXT UNIQUE,
                session_url TEXT,
                transaction_id TEXT UNIQUE
            );
            CREATE INDEX orders_newest ON orders (created_at DESC);
            CREATE TABLE order_events (
                id INTEGER PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                at INTEGER NOT NULL,
                from_status TEXT,
                to_status TEXT NOT NULL,
                source TEXT NOT NULL,
                transaction_id TEXT,
                detail TEXT
            );
            CREATE INDEX order_events_order ON order_events (order_id, id);
            """),
        // The /payments broker. The CVC is never stored; the card only masked (first 6 / last 4).
        Migration(version: 2, sql: """
            CREATE TABLE payments (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                transaction_id TEXT NOT NULL UNIQUE,
                reference TEXT NOT NULL,
                amount INTEGER NOT NULL CHECK (amount > 0),
                return_url TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('init', 'card', 'OK', 'ERROR')),
                payment_id TEXT,
                card_masked TEXT CHECK (card_masked IS NULL OR card_masked GLOB '*[*]*'),
                error_reason TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            -- GET /payments lists by latest state change, newest first, and stops after `limit`
            -- rows: both indexes end in the sort key, so every filter combination is an in-order
            -- range scan. (Migration 7 adds amount indexes, used only when a bounded count picks them.)
            CREATE INDEX payments_updated ON payments (updated_at, seq);
            CREATE INDEX payments_state_updated ON payments (state, updated_at, seq);
            """),
        // GET /orders pages through every order newest first with a (created_at, rowid) keyset;
        // the status filter gets an index that ends in that order.
        Migration(version: 3, sql: """
            CREATE INDEX orders_status_created ON orders (status, created_at);
            """),
        // Idempotency keys (per API-key scope). The request is kept only as a SHA-256
        // fingerprint: a card submission's body holds a CVC, which is never stored.
        Migration(version: 4, sql: """
            CREATE TABLE idempotency_keys (
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                owner TEXT,
                lease_until INTEGER NOT NULL,
                resource_id TEXT,
                status INTEGER,
                content_type TEXT,
                headers TEXT,
                body BLOB,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (scope, key)
            );
            CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
            CREATE INDEX orders_status_updated ON orders (status, updated_at);
            """),
        // One row that readiness checks update: proof that this process can write.
        Migration(version: 5, sql: """
            CREATE TABLE service_heartbeat (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                checked_at INTEGER NOT NULL,
                checked_by TEXT NOT NULL
            );
            INSERT INTO service_heartbeat (id, checked_at, checked_by) VALUES (1, 0, '');
            """),
        // The payment's life after authorization: captured and refunded totals, the session's
        // expiry, when the reconciler last looked, and the merchant's operations.
        Migration(version: 6, sql: """
            ALTER TABLE orders ADD COLUMN captured_amount INTEGER NOT NULL DEFAULT 0 CHECK (captured_amount >= 0);
            ALTER TABLE orders ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0);
            ALTER TABLE orders ADD COLUMN expires_at INTEGER;
            ALTER TABLE orders ADD COLUMN checked_at INTEGER NOT NULL DEFAULT 0;
            UPDATE orders SET checked_at = updated_at;
            CREATE INDEX orders_status_checked ON orders (status, checked_at);
            ALTER TABLE order_events ADD COLUMN amount INTEGER;
            ALTER TABLE order_events ADD COLUMN operation_id TEXT;
            CREATE TABLE order_operations (
                id TEXT PRIMARY KEY NOT NULL,
                order_id TEXT NOT NULL REFERENCES orders (id),
                kind TEXT NOT NULL CHECK (kind IN ('capture', 'refund', 'void')),
                amount INTEGER CHECK (amount IS NULL OR amount > 0),
                state TEXT NOT NULL CHECK (state IN ('requested', 'pending', 'succeeded', 'failed', 'not_sent')),
                request_id TEXT,
                detail TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX order_operations_order ON order_operations (order_id, created_at);
            CREATE INDEX order_operations_open ON order_operations (updated_at) WHERE state IN (\(StoredLiterals.openOperationStates));
            """),
        // GET /payments reads one covering index per query (SQLitePaymentStore.accessPath
        // picks it): the time-ordered ones carry the amount, the amount-ordered ones the time,
        // so filtering, ordering and the LIMIT happen in the index and only the page's rows
        // are read from the table.
        Migration(version: 7, sql: """
            DROP INDEX payments_updated;
            CREATE INDEX payments_updated ON payments (updated_at, seq, amount);
            DROP INDEX payments_state_updated;
            CREATE INDEX payments_state_updated ON payments (state, updated_at, seq, amount);
            CREATE INDEX payments_amount ON payments (amount, updated_at);
            CREATE INDEX payments_state_amount ON payments (state, amount, updated_at);
            -- GET /orders: an ascending index read backwards is in (created_at, rowid) DESC
            -- order; the DESC one needed a sort for the rowid tie-break.
            DROP INDEX orders_newest;
            CREATE INDEX orders_created ON orders (created_at);
            """),
        // Fewer index pages written per created order (28 WAL frames per create before, 17
        // after): the table is rebuilt (SQLite cannot drop a column's UNIQUE) with rowids
        // kept, as they are the list cursor's sequence. The unique session and transaction ids
        // are partial indexes without the NULLs every new order added; the sweeper finds
        // interrupted creates by (status, created_at), so (status, updated_at) goes; the
        // reconciler's (status, checked_at) becomes one partial index per query it serves, and
        // orders in CREATED or a final status are in neither.
        Migration(version: 8, disablesForeignKeys: true, sql: """
            CREATE TABLE orders_rebuilt (
                id TEXT PRIMARY KEY NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                amount INTEGER NOT NULL CHECK (amount > 0),
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                receipt TEXT,
                status TEXT NOT NULL,
                session_id TEXT,
                session_url TEXT,
                transaction_id TEXT,
                captured_amount INTEGER NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
                refunded_amount INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
                expires_at INTEGER,
                checked_at INTEGER NOT NULL DEFAULT 0
            );
            INSERT INTO orders_rebuilt (rowid, id, created_at, updated_at, amount, currency, receipt, status, session_id,
                                        session_url, transaction_id, captured_amount, refunded_amount, expires_at, checked_at)
            SELECT rowid, id, created_at, updated_at, amount, currency, receipt, status, session_id,
                   session_url, transaction_id, captured_amount, refunded_amount, expires_at, checked_at
            FROM orders;
            DROP TABLE orders;
            ALTER TABLE orders_rebuilt RENAME TO orders;
            CREATE UNIQUE INDEX orders_session ON orders (session_id) WHERE session_id IS NOT NULL;
            CREATE UNIQUE INDEX orders_transaction ON orders (transaction_id) WHERE transaction_id IS NOT NULL;
            CREATE INDEX orders_created ON orders (created_at);
            CREATE INDEX orders_status_created ON orders (status, created_at);
            CREATE INDEX orders_pending_checked ON orders (checked_at) WHERE status = \(StoredLiterals.pendingOrderStatus);
            CREATE INDEX orders_open_checked ON orders (checked_at)
                WHERE status IN (\(StoredLiterals.openOrderStatuses));
            """),
    ])

    /// Opens a connection and applies missing migrations (race-free across processes).
    public static func openAndMigrate(path: String) throws -> Connection {
        let connection = try Connection(path: path)
        try migrator.migrate(connection)
        return connection
    }

    /// Opens a connection and checks that the schema is the one this build expects. With
    /// `checkpointsElsewhere`, its commits never checkpoint (a dedicated checkpointer does), and
    /// its writes pause while the WAL holds more than `walPauseBytes` (0: never).
    public static func open(path: String, checkpointsElsewhere: Bool = false, walPauseBytes: Int = 0) throws -> Connection {
        let connection = try Connection(path: path, options: .init(
            walAutoCheckpointPages: checkpointsElsewhere ? 0 : 1_000, walPauseBytes: checkpointsElsewhere ? walPauseBytes : 0
        ))
        let version = try Migrator.version(of: connection)
        guard version == migrator.latestVersion else {
            throw ConfigurationError("database \(path) has schema version \(version), this build needs \(migrator.latestVersion); start the supervisor to migrate")
        }
        return connection
    }
}
