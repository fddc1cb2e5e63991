import CSQLite

/// An error reported by SQLite (or by this wrapper, for misuse such as a wrong column name).
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The extended result code (`constraintUnique`, …); see ``primaryResultCode``.
    public let resultCode: ResultCode
    /// SQLite's message for the failure.
    public let message: String
    /// The SQL that failed, when there was one.
    public let sql: String?

    /// The primary result code (`constraint` for `constraintUnique`).
    public var primaryResultCode: ResultCode { resultCode.primary }

    /// Creates an error.
    public init(_ resultCode: ResultCode, message: String, sql: String? = nil) {
        self.resultCode = resultCode
        self.message = message
        self.sql = sql
    }

    init(connection handle: OpaquePointer?, code: Int32, sql: String?) {
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? code
        // The handle's extended code belongs to the last failure on it; keep it only when it
        // refines the code this call returned.
        self.init(ResultCode(rawValue: extended & 0xFF == code & 0xFF ? extended : code), message: message, sql: sql)
    }

    public var description: String {
        var text = "SQLite error \(resultCode.rawValue): \(message)"
        if let sql { text += " [\(sql)]" }
        return text
    }
}
