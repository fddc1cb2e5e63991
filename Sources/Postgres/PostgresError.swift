import CPostgres
import Foundation

/// An error from libpq or the server, with the server's SQLSTATE when it sent one.
///
/// Messages carry the server's primary message only: its DETAIL lines may quote row values
/// (a unique violation names the key), which are kept out of logs.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the failure happened.
    public enum Kind: Sendable, Equatable {
        /// The server cannot be reached, or the connection broke.
        case connection
        /// The server refused the statement (see ``PostgresError/sqlState``).
        case server
        /// A value in a result could not be decoded as asked.
        case decoding
        /// The caller used the API wrongly (a programming error, reported, not trapped).
        case misuse
    }

    /// Where the failure happened.
    public let kind: Kind
    /// The five-character SQLSTATE (`23505`, `40P01`, ...), when the server sent one.
    public let sqlState: String?
    /// What went wrong.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, sqlState: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    /// The server is unreachable, restarting or shutting down, or the connection broke:
    /// nothing this statement did was committed unless it was the COMMIT itself; retry later.
    public var isConnectionFailure: Bool {
        if kind == .connection { return true }
        guard let sqlState else { return false }
        // Class 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now.
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// A deadlock or serialization failure: the transaction was rolled back and may be re-run.
    public var isTransientConflict: Bool { sqlState == "40P01" || sqlState == "40001" }

    /// A unique constraint refused the row.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    public var description: String {
        "PostgreSQL \(kind == .server ? "error" : "\(kind) error")\(sqlState.map { " \($0)" } ?? ""): \(message)"
    }

    /// The error a failed result describes.
    init(result: OpaquePointer?, connection: OpaquePointer?) {
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let primary = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
        let brokenConnection = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        self.init(
            state == nil && brokenConnection ? .connection : .server,
            sqlState: state,
            message: primary ?? Self.connectionMessage(connection)
        )
    }

    /// libpq's message for the connection, trimmed.
    static func connectionMessage(_ connection: OpaquePointer?) -> String {
        guard let connection, let text = PQerrorMessage(connection) else { return "no connection" }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? "connection failed" : message
    }
}
