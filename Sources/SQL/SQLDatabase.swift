/// Statements inside a transaction (or, for ``SQLConnection/read(_:)`` on PostgreSQL, each on
/// its own): the handle a ``SQLConnection`` lends its closures.
public protocol SQLDatabase {
    /// Which database this is, for the statements that differ.
    var dialect: SQLDialect { get }

    /// Runs a query and returns all of its rows.
    func query(_ query: SQLQuery) throws -> [SQLRow]

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    func run(_ statement: SQLQuery) throws -> Int
}

extension SQLDatabase {
    /// Runs a query and returns its first row, if any.
    public func queryOne(_ query: SQLQuery) throws -> SQLRow? {
        try self.query(query).first
    }
}

/// A connection to either database, confined to the thread that uses it, whose statements
/// run in closure-scoped transactions (as in GRDB).
public protocol SQLConnection: AnyObject {
    /// The handle the closures receive.
    associatedtype Database: SQLDatabase

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it
    /// throws. SQLite: `BEGIN IMMEDIATE` (writers queue for the lock); PostgreSQL: `BEGIN`,
    /// re-run after a deadlock or serialization failure, so `body` must only touch the database.
    @discardableResult
    func write<T>(_ body: (Database) throws -> T) throws -> T

    /// Runs `body`'s reads. SQLite: one deferred transaction, one snapshot. PostgreSQL: each
    /// statement on its own (READ COMMITTED gives each statement its own snapshot anyway),
    /// sent again once on a connection found broken.
    @discardableResult
    func read<T>(_ body: (Database) throws -> T) throws -> T
}
