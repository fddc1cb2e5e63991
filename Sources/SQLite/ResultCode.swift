import CSQLite

/// An SQLite result code, primary (`SQLITE_BUSY`) or extended (`SQLITE_CONSTRAINT_UNIQUE`).
///
/// Matchable in `catch`: `catch ResultCode.busy { … }` matches an ``SQLiteError`` whose
/// primary or extended code is `busy`.
public struct ResultCode: Hashable, Sendable, CustomStringConvertible {
    /// The raw code.
    public let rawValue: Int32

    /// Wraps a raw code.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary code of an extended one (the low 8 bits).
    public var primary: ResultCode { ResultCode(rawValue: rawValue & 0xFF) }

    public static let ok = ResultCode(rawValue: SQLITE_OK)
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    public static let constraintUnique = ResultCode(rawValue: 2067)  // SQLITE_CONSTRAINT_UNIQUE
    public static let constraintCheck = ResultCode(rawValue: 275)  // SQLITE_CONSTRAINT_CHECK
    public static let constraintForeignKey = ResultCode(rawValue: 787)  // SQLITE_CONSTRAINT_FOREIGNKEY
    public static let mismatch = ResultCode(rawValue: SQLITE_MISMATCH)
    public static let misuse = ResultCode(rawValue: SQLITE_MISUSE)
    public static let range = ResultCode(rawValue: SQLITE_RANGE)

    public var description: String { String(cString: sqlite3_errstr(rawValue)) + " (\(rawValue))" }

    /// `catch ResultCode.busy`: true for an ``SQLiteError`` with this primary or extended code.
    public static func ~= (pattern: ResultCode, error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        return error.resultCode == pattern || error.resultCode.primary == pattern
    }
}
