import Foundation
import LocalStack
import Postgres
import SQL
import SQLite

/// Reads a running stack's database directly, whichever store it uses, to check what was
/// stored (never to change it). SQL is the portable subset, parameters are `$1`, `$2`, ...
/// (SQLite binds them by position too) and values come back as text.
struct StackDatabase {
    private enum Handle {
        case sqlite(Connection)
        case postgres(PostgresConnection)
    }

    private let handle: Handle

    init(stack: LocalStack) throws {
        if let url = stack.configuration.workerEnvironment["DATABASE_URL"] {
            handle = .postgres(PostgresConnection(url: url))
        } else {
            handle = .sqlite(try Connection(path: stack.databasePath))
        }
    }

    /// True for the SQLite file (for checks only it has: `PRAGMA integrity_check`, WAL mode).
    var isSQLite: Bool {
        if case .sqlite = handle { return true }
        return false
    }

    /// Every row, each as its columns' text (nil for NULL).
    func rows(_ sql: String, _ parameters: [String] = []) throws -> [[String?]] {
        let rows: [SQLRow]
        switch handle {
        case .sqlite(let connection): rows = try connection.query(sql, parameters.map(SQLValue.text))
        case .postgres(let connection): rows = try connection.query(sql, parameters.map(SQLValue.text), prepared: false)
        }
        return rows.map { row in
            row.values.map { value in
                switch value {
                case .null: return nil
                case .integer(let number): return String(number)
                case .real(let number): return String(number)
                case .text(let text): return text
                case .blob(let bytes): return String(decoding: bytes, as: UTF8.self)
                }
            }
        }
    }

    /// The first column of every row.
    func column(_ sql: String, _ parameters: [String] = []) throws -> [String?] {
        try rows(sql, parameters).map { $0.first ?? nil }
    }

    /// The first row's first column.
    func text(_ sql: String, _ parameters: [String] = []) throws -> String? {
        try rows(sql, parameters).first?.first ?? nil
    }

    /// The first row's first column as a number.
    func integer(_ sql: String, _ parameters: [String] = []) throws -> Int64? {
        try text(sql, parameters).flatMap { Int64($0) }
    }
}

extension LocalStack {
    /// The stack's database, for reading what it stored.
    func database() throws -> StackDatabase { try StackDatabase(stack: self) }
}
