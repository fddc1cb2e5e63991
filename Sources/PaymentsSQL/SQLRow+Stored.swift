import SQL

extension RawRepresentable where RawValue == String {
    /// The value `column` holds as one of the domain's enumerations; a value no case has
    /// throws (a stored status this build does not know is an inconsistency, never a default).
    init(stored raw: String, column: String) throws {
        guard let value = Self(rawValue: raw) else { throw StoredDataError.unknownValue(column: column, value: raw) }
        self = value
    }
}

extension SQLRow {
    /// The named column read as one of the domain's enumerations (``init(stored:column:)``).
    func get<T: RawRepresentable>(_ name: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        try T(stored: try get(name), column: name)
    }

    /// As ``get(_:as:)``, for a nullable column.
    func get<T: RawRepresentable>(_ name: String, as type: T?.Type = T?.self) throws -> T? where T.RawValue == String {
        try (try get(name) as String?).map { try T(stored: $0, column: name) }
    }
}

/// Stored data this build cannot read, or a row the schema guarantees is missing.
public enum StoredDataError: Error, CustomStringConvertible {
    /// A column holds a value none of the domain's cases has.
    case unknownValue(column: String, value: String)
    /// The `service_heartbeat` row is gone (someone edited the database by hand).
    case heartbeatRowMissing
    /// An idempotency key kept being released between the insert that found it and the read.
    case keyKeptVanishing

    public var description: String {
        switch self {
        case .unknownValue(let column, let value): "\(column) holds \(value), which this build does not know"
        case .heartbeatRowMissing: "the service_heartbeat row is missing"
        case .keyKeptVanishing: "idempotency key kept vanishing while being claimed"
        }
    }
}
