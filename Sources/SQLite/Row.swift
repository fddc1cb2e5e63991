/// One result row. Columns are read with throwing accessors: a column name that is not in the
/// result, or a value of the wrong type, throws instead of reading as NULL.
public struct Row: Sendable {
    /// Column names and their positions, built once per statement and shared by its rows.
    public final class Layout: Sendable {
        /// Column names, in result order.
        public let columns: [String]
        @usableFromInline let positions: [String: Int]

        /// A layout for these column names.
        public init(columns: [String]) {
            self.columns = columns
            positions = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    @usableFromInline let layout: Layout
    /// Values, in result order.
    public let values: [SQLiteValue]

    /// Column names, in result order.
    public var columns: [String] { layout.columns }

    /// A row of `values` under `layout`.
    public init(layout: Layout, values: [SQLiteValue]) {
        self.layout = layout
        self.values = values
    }

    /// The value at a column index.
    public subscript(_ index: Int) -> SQLiteValue { values[index] }

    /// The named column decoded as `T`; use an optional `T` for a nullable column. Inlinable,
    /// so each call is specialized for its `T` in the caller (measured: unspecialized, the
    /// generic metadata lookups were a fifth of a 100-row list's CPU).
    @inlinable
    public func get<T: SQLiteColumnValue>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = layout.positions[name] else {
            throw SQLiteError(.misuse, message: "no column \"\(name)\" in the result; columns: \(columns.joined(separator: ", "))")
        }
        return try get(at: index)
    }

    /// The column at `index` (result order) decoded as `T`: for a query whose columns the
    /// caller lists itself, read without a name lookup per value (measured: hashing the names
    /// was a sixth of decoding a 20-row order list).
    @inlinable
    public func get<T: SQLiteColumnValue>(at index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw SQLiteError(.misuse, message: "no column \(index) in the result; columns: \(columns.joined(separator: ", "))")
        }
        guard let value = T(sqliteValue: values[index]) else {
            throw SQLiteError(.mismatch, message: "column \"\(layout.columns[index])\" holds \(values[index]), not \(T.self)")
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
    @inlinable public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let value) = sqliteValue else { return nil }
        self = value
    }
}

extension Int: SQLiteColumnValue {
    @inlinable public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let value) = sqliteValue, let fitting = Int(exactly: value) else { return nil }
        self = fitting
    }
}

extension Double: SQLiteColumnValue {
    @inlinable public init?(sqliteValue: SQLiteValue) {
        guard let value = sqliteValue.double else { return nil }
        self = value
    }
}

extension String: SQLiteColumnValue {
    @inlinable public init?(sqliteValue: SQLiteValue) {
        guard case .text(let value) = sqliteValue else { return nil }
        self = value
    }
}

extension Optional: SQLiteColumnValue where Wrapped: SQLiteColumnValue {
    @inlinable public init?(sqliteValue: SQLiteValue) {
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
    @inlinable public init?(sqliteValue: SQLiteValue) { self = sqliteValue }
}
