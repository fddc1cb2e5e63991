/// One result row. Columns are read with throwing accessors: a column name that is not in the
/// result, or a value of the wrong type, throws instead of reading as NULL.
public struct Row: Sendable {
    /// Column names, in result order.
    public let columns: [String]
    /// Values, in result order.
    public let values: [SQLiteValue]

    /// The value at a column index.
    public subscript(_ index: Int) -> SQLiteValue { values[index] }

    /// The named column decoded as `T`; use an optional `T` for a nullable column.
    public func get<T: SQLiteColumnValue>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(of: name) else {
            throw SQLiteError(.misuse, message: "no column \"\(name)\" in the result; columns: \(columns.joined(separator: ", "))")
        }
        guard let value = T(sqliteValue: values[index]) else {
            throw SQLiteError(.mismatch, message: "column \"\(name)\" holds \(values[index]), not \(T.self)")
        }
        return value
    }
}

/// A Swift type a column can be decoded as.
public protocol SQLiteColumnValue {
    /// The value, or nil when the column's value is not of this type.
    init?(sqliteValue: SQLiteValue)
}

extension Int64: SQLiteColumnValue {
    public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let value) = sqliteValue else { return nil }
        self = value
    }
}

extension Int: SQLiteColumnValue {
    public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let value) = sqliteValue, let fitting = Int(exactly: value) else { return nil }
        self = fitting
    }
}

extension Double: SQLiteColumnValue {
    public init?(sqliteValue: SQLiteValue) {
        guard let value = sqliteValue.double else { return nil }
        self = value
    }
}

extension String: SQLiteColumnValue {
    public init?(sqliteValue: SQLiteValue) {
        guard case .text(let value) = sqliteValue else { return nil }
        self = value
    }
}

extension Optional: SQLiteColumnValue where Wrapped: SQLiteColumnValue {
    public init?(sqliteValue: SQLiteValue) {
        if case .null = sqliteValue {
            self = .none
        } else if let value = Wrapped(sqliteValue: sqliteValue) {
            self = .some(value)
        } else {
            return nil
        }
    }
}

extension SQLiteValue: SQLiteColumnValue {
    public init?(sqliteValue: SQLiteValue) { self = sqliteValue }
}
