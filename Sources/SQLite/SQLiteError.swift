import CSQLite

/// An error reported by SQLite, with its primary and extended result codes.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    public let code: Int32
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, ...).
    public let extendedCode: Int32
    /// SQLite's message for the failure.
    public let message: String
    /// The SQL that failed, when there was one.
    public let sql: String?

    /// Creates an error from raw codes; used by the wrapper and by tests.
    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String? = nil) {
        self.code = code
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.sql = sql
    }

    init(connection handle: OpaquePointer?, code: Int32, sql: String?) {
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        self.init(
            code: code & 0xFF,
            extendedCode: handle.map { sqlite3_extended_errcode($0) } ?? code,
            message: message,
            sql: sql
        )
    }

    /// True when another connection held a lock past the busy timeout.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// True for constraint violations (UNIQUE, CHECK, FOREIGN KEY, NOT NULL).
    public var isConstraint: Bool { code == SQLITE_CONSTRAINT }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " [\(sql)]" }
        return text
    }
}
