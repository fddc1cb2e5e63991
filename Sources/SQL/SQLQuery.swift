/// A statement whose values are interpolated and bound, never spliced into its text, as in
/// PostgresNIO's `PostgresQuery`: `"SELECT * FROM orders WHERE id = \(id)"` binds `id`.
/// Each database renders the placeholders its way (``SQLDialect/placeholder(_:)``: `?` or
/// `$n`). Text that is SQL itself (a column list, a fragment chosen by a dialect) goes in with
/// `\(raw:)` or as another ``SQLQuery``, whose values join this one's in order.
public struct SQLQuery: Sendable, ExpressibleByStringInterpolation {
    fileprivate enum Piece: Sendable {
        case sql(String)
        case value(SQLValue)
    }

    fileprivate var pieces: [Piece]
    /// PostgreSQL plans the statement for its values each time (an unnamed statement) instead
    /// of once per connection: for list queries whose best plan depends on the range asked
    /// for. SQLite plans every statement once.
    public var plannedPerExecution = false

    public init(stringLiteral value: String) { pieces = [.sql(value)] }

    public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

    /// The interpolation that binds values and splices only ``SQLQuery`` fragments and `raw:` text.
    public struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) { pieces.reserveCapacity(interpolationCount * 2 + 1) }

        public mutating func appendLiteral(_ literal: String) { pieces.append(.sql(literal)) }

        /// A bound value.
        public mutating func appendInterpolation(_ value: some SQLBindable) { pieces.append(.value(value.sqlValue)) }

        /// A bound value or NULL.
        public mutating func appendInterpolation<Value: SQLBindable>(_ value: Value?) { pieces.append(.value(value.sqlValue)) }

        /// A fragment: its text and, in order, its values.
        public mutating func appendInterpolation(_ fragment: SQLQuery) { pieces += fragment.pieces }

        /// SQL text from the program, never from input (identifiers, column lists).
        public mutating func appendInterpolation(raw sql: String) { pieces.append(.sql(sql)) }
    }

    /// The statement's text for `dialect` and its values, in placeholder order.
    public func rendered(for dialect: SQLDialect) -> (sql: String, values: [SQLValue]) {
        var sql = ""
        var values: [SQLValue] = []
        for piece in pieces {
            switch piece {
            case .sql(let text): sql += text
            case .value(let value):
                values.append(value)
                sql += dialect.placeholder(values.count)
            }
        }
        return (sql, values)
    }

    /// The fragments joined by `separator` (`AND`, `, `); an empty query for none.
    public static func joined(_ fragments: [SQLQuery], separator: String) -> SQLQuery {
        var joined = SQLQuery(stringLiteral: "")
        for (offset, fragment) in fragments.enumerated() {
            if offset > 0 { joined.pieces.append(.sql(separator)) }
            joined.pieces += fragment.pieces
        }
        return joined
    }

    /// `WHERE a AND b` from the conditions given, or nothing for none.
    public static func `where`(_ conditions: [SQLQuery?]) -> SQLQuery {
        let present = conditions.compactMap { $0 }
        return present.isEmpty ? "" : "WHERE \(joined(present, separator: " AND "))"
    }
}

/// How one database's SQL differs where the shared statements need it to.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// The `index`th parameter's placeholder (from 1): `?` or `$index`.
    public func placeholder(_ index: Int) -> String {
        switch self {
        case .sqlite: "?"
        case .postgres: "$\(index)"
        }
    }
}
