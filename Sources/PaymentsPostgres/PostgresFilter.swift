import Postgres

/// A `WHERE` clause built from optional filters, with its parameters numbered in order.
struct PostgresFilter {
    private var conditions: [String] = []
    private(set) var parameters: [PostgresValue] = []

    /// Adds `condition` when every value is present; each `$` in it becomes the next `$n`.
    mutating func add(_ condition: String, _ values: PostgresValue?...) {
        guard values.allSatisfy({ $0 != nil }) else { return }
        var numbered = ""
        var pending = values.compactMap { $0 }[...]
        for character in condition {
            if character == "$", let value = pending.popFirst() {
                numbered += placeholder(value)
            } else {
                numbered.append(character)
            }
        }
        conditions.append(numbered)
    }

    /// Appends a parameter and returns its placeholder (`$3`).
    mutating func placeholder(_ value: PostgresValue) -> String {
        parameters.append(value)
        return "$\(parameters.count)"
    }

    /// `WHERE a AND b`, or nothing without conditions.
    var clause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
}
