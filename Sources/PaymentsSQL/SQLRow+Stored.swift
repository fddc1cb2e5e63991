import SQL

extension SQLRow {
    /// The column read as one of the domain's enumerations; a value no case has throws
    /// (a stored status this build does not know is an inconsistency, never a default).
    func get<T: RawRepresentable>(_ name: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let raw: String = try get(name)
        guard let value = T(rawValue: raw) else { throw StoredDataError.unknownValue(column: name, value: raw) }
        return value
    }

    /// As ``get(_:as:)``, for a nullable column.
    func get<T: RawRepresentable>(_ name: String, as type: T?.Type = T?.self) throws -> T? where T.RawValue == String {
        guard let raw: String = try get(name) else { return nil }
        guard let value = T(rawValue: raw) else { throw StoredDataError.unknownValue(column: name, value: raw) }
        return value
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
