/// A statement parameter. Sent in text format, except bytes (binary `bytea`).
public enum PostgresValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case bytes([UInt8])

    /// `.text(value)` or `.null` when the optional is empty.
    public static func optionalText(_ value: String?) -> PostgresValue {
        value.map(PostgresValue.text) ?? .null
    }

    /// `.integer(value)` or `.null` when the optional is empty.
    public static func optionalInteger(_ value: Int64?) -> PostgresValue {
        value.map(PostgresValue.integer) ?? .null
    }
}
