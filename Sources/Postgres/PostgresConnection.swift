import CPostgres
import Foundation
import SQL

/// One PostgreSQL connection (libpq), confined to the thread that uses it.
///
/// - Connects on first use, not at creation: an accept thread that never serves a request
///   holds no server connection.
/// - Reconnects by itself: a connection the server dropped (restart, failover, idle kill) is
///   replaced before the next transaction; when the server is still away the call throws a
///   ``PostgresError`` whose ``PostgresError/isConnectionFailure`` is true.
/// - Statements are prepared once per connection (named, cached by their SQL) and executed
///   with parameters; `prepared: false` sends one unnamed statement, planned for its values
///   (list queries whose best plan depends on the range asked for).
/// - ``transaction(_:)`` runs a closure between `BEGIN` and `COMMIT` (`ROLLBACK` when it
///   throws) and re-runs it after a deadlock or serialization failure, whose transaction the
///   server already rolled back.
public final class PostgresConnection: SQLConnection, SQLDatabase {
    /// How a connection is opened.
    public struct Options: Sendable {
        /// Seconds to wait for the server when connecting.
        public var connectTimeoutSeconds: Int
        /// Longest a statement may run before the server cancels it, milliseconds (0: no limit).
        public var statementTimeoutMilliseconds: Int
        /// Shown in `pg_stat_activity`.
        public var applicationName: String

        /// Defaults: 3 s to connect, 30 s per statement.
        public init(connectTimeoutSeconds: Int = 3, statementTimeoutMilliseconds: Int = 30_000, applicationName: String = "payments") {
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
            self.applicationName = applicationName
        }
    }

    private let url: String
    private let options: Options
    private var handle: OpaquePointer?
    private var statements: [String: String] = [:]
    /// Column layout per prepared statement, read once.
    private var layouts: [String: SQLRow.Layout] = [:]
    private var inTransaction = false

    /// How many times a transaction was re-run after a deadlock or serialization failure.
    public private(set) var conflictRetries = 0

    /// A connection to `url` (`postgres://user:password@host:port/database?...`, or a libpq
    /// `key=value` string), opened on first use. The URL may hold a password: it is never logged.
    public init(url: String, options: Options = Options()) {
        self.url = url
        self.options = options
    }

    deinit { close() }

    /// Closes the connection; the next call opens a new one.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        statements.removeAll()
        layouts.removeAll()
    }

    /// True while connected and the last statement did not break the connection.
    public var isConnected: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// The server's process for this connection (0 when not connected).
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// Opens the connection unless it is open and healthy.
    public func connect() throws {
        if isConnected { return }
        close()
        // Settings before the URL: anything the URL sets wins.
        let keywords = ["connect_timeout", "application_name", "options", "dbname"]
        let values = [
            String(options.connectTimeoutSeconds), options.applicationName,
            "-c statement_timeout=\(options.statementTimeoutMilliseconds) -c client_min_messages=warning", url,
        ]
        let connection = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let error = PostgresError(.connection, message: PostgresError.connectionMessage(connection))
            if let connection { PQfinish(connection) }
            throw error
        }
        handle = connection
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// A connection found broken at `BEGIN` is reopened once (nothing was sent yet); a
    /// deadlock or serialization failure re-runs `body` up to twice more, each time after a
    /// short random pause.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        precondition(!inTransaction, "transactions do not nest")
        var attempt = 0
        while true {
            attempt += 1
            try begin()
            inTransaction = true
            do {
                let result = try body(self)
                inTransaction = false
                try command("COMMIT")
                return result
            } catch let error as PostgresError where error.isTransientConflict && attempt < 3 {
                inTransaction = false
                try? command("ROLLBACK")
                conflictRetries += 1
                // The transaction that won still has to wake up and commit; re-running at once
                // can take a row it is about to lock again and deadlock with it a second time.
                usleep(UInt32.random(in: 20_000...40_000) * UInt32(attempt))
            } catch {
                inTransaction = false
                if isConnected { try? command("ROLLBACK") }
                throw error
            }
        }
    }

    /// Runs a query and returns its rows. Outside a transaction it runs on its own, and a
    /// connection found broken is reopened and the query sent once more (a read is safe to repeat).
    public func query(_ sql: String, _ parameters: [SQLValue], prepared: Bool = true) throws -> [SQLRow] {
        let result: PostgresResult
        if inTransaction {
            result = try execute(sql, parameters, prepared: prepared)
        } else {
            result = try reconnectingOnce { try execute(sql, parameters, prepared: prepared) }
        }
        return try result.rows(layout: layout(of: result, sql: prepared ? sql : nil))
    }

    /// Runs a query and returns its first row, if any.
    public func queryOne(_ sql: String, _ parameters: [SQLValue], prepared: Bool = true) throws -> SQLRow? {
        try query(sql, parameters, prepared: prepared).first
    }

    /// Runs a statement and returns the number of rows it changed. Outside a transaction it
    /// commits on its own and is not repeated on a broken connection.
    @discardableResult
    public func run(_ sql: String, _ parameters: [SQLValue], prepared: Bool = true) throws -> Int {
        if !inTransaction { try connect() }
        let result = try execute(sql, parameters, prepared: prepared)
        return Int(String(cString: PQcmdTuples(result.handle))) ?? 0
    }

    // MARK: - SQLConnection, SQLDatabase

    public var dialect: SQLDialect { .postgres }

    public func query(_ query: SQLQuery) throws -> [SQLRow] {
        let (sql, values) = query.rendered(for: .postgres)
        return try self.query(sql, values, prepared: !query.plannedPerExecution)
    }

    @discardableResult
    public func run(_ statement: SQLQuery) throws -> Int {
        let (sql, values) = statement.rendered(for: .postgres)
        return try run(sql, values, prepared: !statement.plannedPerExecution)
    }

    /// ``transaction(_:)``.
    @discardableResult
    public func write<T>(_ body: (PostgresConnection) throws -> T) throws -> T { try transaction(body) }

    /// `body` with this connection: each statement on its own.
    public func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T { try body(self) }

    /// Runs one or more statements without parameters (schema steps), in one round trip.
    public func execute(_ script: String) throws {
        if !inTransaction { try connect() }
        _ = try check(PQexec(handle, script))
    }

    // MARK: - Internals

    private func begin() throws {
        try reconnectingOnce { try command("BEGIN") }
    }

    /// Runs `body`; when it fails because the connection had broken, reconnects and runs it again once.
    private func reconnectingOnce<T>(_ body: () throws -> T) throws -> T {
        try connect()
        do {
            return try body()
        } catch let error as PostgresError where error.isConnectionFailure && !isConnected {
            try connect()
            return try body()
        }
    }

    private func command(_ sql: String) throws {
        _ = try execute(sql, [], prepared: true)
    }

    /// The result's column names and types, cached per prepared statement (`sql`).
    private func layout(of result: PostgresResult, sql: String?) -> SQLRow.Layout {
        if let sql, let cached = layouts[sql] { return cached }
        let layout = result.layout()
        if let sql { layouts[sql] = layout }
        return layout
    }

    private func execute(_ sql: String, _ parameters: [SQLValue], prepared: Bool) throws -> PostgresResult {
        guard let handle else { throw PostgresError(.connection, message: "not connected") }
        var name = ""
        if prepared {
            if let cached = statements[sql] {
                name = cached
            } else {
                name = "s\(statements.count + 1)"
                _ = try check(PQprepare(handle, name, sql, Int32(parameters.count), nil))
                statements[sql] = name
            }
        }
        // Text format for everything but bytes, which go as binary bytea.
        var buffers: [UnsafeMutableRawPointer?] = []
        defer { for buffer in buffers { free(buffer) } }
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .null:
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
            case .integer(let value):
                buffers.append(UnsafeMutableRawPointer(strdup(String(value))))
                lengths.append(0)
                formats.append(0)
            case .text(let value):
                buffers.append(UnsafeMutableRawPointer(strdup(value)))
                lengths.append(0)
                formats.append(0)
            case .real(let value):
                buffers.append(UnsafeMutableRawPointer(strdup(String(value))))
                lengths.append(0)
                formats.append(0)
            case .blob(let bytes):
                let buffer = malloc(max(1, bytes.count))!
                bytes.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) } }
                buffers.append(buffer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        let values = buffers.map { $0.map { UnsafePointer<CChar>($0.assumingMemoryBound(to: CChar.self)) } }
        let result = prepared
            ? PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 0)
            : PQexecParams(handle, sql, Int32(parameters.count), nil, values, lengths, formats, 0)
        return try check(result)
    }

    /// The result when it succeeded; otherwise it is freed and its error thrown.
    private func check(_ result: OpaquePointer?) throws -> PostgresResult {
        switch result.map(PQresultStatus) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return PostgresResult(result!)
        default:
            let error = PostgresError(result: result, connection: handle)
            if let result { PQclear(result) }
            throw error
        }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer<CChar>($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
