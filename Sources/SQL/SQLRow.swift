/// One result row, from either database. Columns are read with throwing accessors: a column name that is not in the
/// result, or a value of the wrong type, throws instead of reading as NULL.
public struct SQLRow: Sendable {
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
    public let values: [SQLValue]

    /// Column names, in result order.
    public var columns: [String] { layout.columns }

    /// A row of `values` under `layout`.
    public init(layout: Layout, values: [SQLValue]) {
        self.layout = layout
        self.values = values
    }

    /// The value at a column index.
    public subscript(_ index: Int) -> SQLValue { values[index] }

    /// The named column decoded as `T`; use an optional `T` for a nullable column. Inlinable,
    /// so each call is specialized for its `T` in the caller (measured: unspecialized, the
    /// generic metadata lookups were a fifth of a 100-row list's CPU).
    @inlinable
    public func get<T: SQLColumnValue>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = layout.positions[name] else {
            throw SQLRowError(message: "no column \"\(name)\" in the result; columns: \(columns.joined(separator: ", "))")
        }
        return try get(at: index)
    }

    /// The column at `index` (result order) decoded as `T`: for a query whose columns the
    /// caller lists itself, read without a name lookup per value (measured: hashing the names
    /// was a sixth of decoding a 20-row order list).
    @inlinable
    public func get<T: SQLColumnValue>(at index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw SQLRowError(message: "no column \(index) in the result; columns: \(columns.joined(separator: ", "))")
        }
        guard let value = T(sqlValue: values[index]) else {
            throw SQLRowError(message: "column \"\(layout.columns[index])\" holds \(values[index]), not \(T.self)")
        }
        return value
    }
}

/// A Swift type a column can be decoded as.
public protocol SQLColumnValue {
    /// The value, or nil when the column's value is not of this type.
    init?(sqlValue: SQLValue)
}

extension Int64: SQLColumnValue {
    @inlinable public init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Int: SQLColumnValue {
    @inlinable public init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue, let fitting = Int(exactly: value) else { return nil }
        self = fitting
    }
}

extension Double: SQLColumnValue {
    @inlinable public init?(sqlValue: SQLValue) {
        guard let value = sqlValue.double else { return nil }
        self = value
    }
}

extension String: SQLColumnValue {
    @inlinable public init?(sqlValue: SQLValue) {
        guard case .text(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Optional: SQLColumnValue where Wrapped: SQLColumnValue {
    @inlinable public init?(sqlValue: SQLValue) {
        if case .null = sqlValue {
            self = .none
        } else if let value = Wrapped(sqlValue: sqlValue) {
            self = .some(value)
        } else {
            return nil
        }
    }
}

extension SQLValue: SQLColumnValue {
    @inlinable public init?(sqlValue: SQLValue) { self = sqlValue }
}

extension Bool: SQLColumnValue {
    @inlinable public init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue, value == 0 || value == 1 else { return nil }
        self = value == 1
    }
}

extension Array: SQLColumnValue where Element == UInt8 {
    @inlinable public init?(sqlValue: SQLValue) {
        guard case .blob(let value) = sqlValue else { return nil }
        self = value
    }
}

extension SQLRow {
    /// How many columns the row has.
    public var columnCount: Int { values.count }
}

/// A column that is not in the result, or holds a value that does not decode as asked.
public struct SQLRowError: Error, Sendable, CustomStringConvertible {
    /// What was asked and what the row holds.
    public let message: String

    /// Creates an error.
    public init(message: String) { self.message = message }

    public var description: String { message }
}
