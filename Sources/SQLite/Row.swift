/// One result row: values by column index or column name.
public struct Row: Sendable {
    /// Column names, in result order.
    public let columns: [String]
    /// Values, in result order.
    public let values: [SQLiteValue]

    /// The value of the named column; `.null` when there is no such column.
    public subscript(_ name: String) -> SQLiteValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    /// The value at a column index.
    public subscript(_ index: Int) -> SQLiteValue { values[index] }
}
