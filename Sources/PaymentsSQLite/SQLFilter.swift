import SQLite

/// A `WHERE` clause built from optional filters, with its parameters in order.
struct SQLFilter {
    private var conditions: [String] = []
    private(set) var parameters: [SQLiteValue] = []

    /// Adds `condition` (with one `?` per value) when `value` is present.
    mutating func add(_ condition: String, _ values: SQLiteValue?...) {
        guard values.allSatisfy({ $0 != nil }) else { return }
        conditions.append(condition)
        parameters.append(contentsOf: values.compactMap { $0 })
    }

    /// `WHERE a AND b`, or nothing without conditions.
    var clause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
}
