-- The php-fpm reference's tables: the orders and their status history, as a plain
-- implementation would keep them (one index for the newest-first list, one for the history).
PRAGMA journal_mode=WAL;
CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    receipt TEXT,
    status TEXT NOT NULL,
    session_id TEXT,
    session_url TEXT
);
CREATE INDEX orders_created ON orders (created_at);
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    at INTEGER NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);
