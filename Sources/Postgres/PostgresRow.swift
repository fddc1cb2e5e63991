import CPostgres

/// A query's result, freed when the last of its rows is gone.
final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    var rowCount: Int { Int(PQntuples(handle)) }
}

/// One result row, read in place from libpq's result (text format). A column name that is not
/// in the result, or a value that does not decode as asked, throws instead of reading as NULL.
public struct PostgresRow {
    let result: PostgresResult
    let index: Int32

    /// How many columns the result has.
    public var columnCount: Int { Int(PQnfields(result.handle)) }

    /// The named column decoded as `T`; use an optional `T` for a nullable column.
    public func get<T: PostgresColumnValue>(_ name: String, as type: T.Type = T.self) throws -> T {
        let column = PQfnumber(result.handle, name)
        guard column >= 0 else { throw PostgresError(.misuse, message: "no column \"\(name)\" in the result") }
        return try get(column: Int(column))
    }

    /// The column at `column` decoded as `T`.
    public func get<T: PostgresColumnValue>(column: Int, as type: T.Type = T.self) throws -> T {
        let field = Int32(column)
        let raw: UnsafeRawBufferPointer? = PQgetisnull(result.handle, index, field) == 1
            ? nil
            : UnsafeRawBufferPointer(start: PQgetvalue(result.handle, index, field), count: Int(PQgetlength(result.handle, index, field)))
        guard let value = T(postgresText: raw) else {
            let name = PQfname(result.handle, field).map { String(cString: $0) } ?? "#\(column)"
            throw PostgresError(.decoding, message: "column \"\(name)\" does not hold a \(T.self)")
        }
        return value
    }
}

/// A Swift type a column's text-format value decodes to.
public protocol PostgresColumnValue {
    /// The value from its text form (nil bytes: SQL NULL), or nil when it does not decode.
    init?(postgresText bytes: UnsafeRawBufferPointer?)
}

extension Int64: PostgresColumnValue {
    public init?(postgresText bytes: UnsafeRawBufferPointer?) {
        guard let bytes, !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        var negative = false
        for (offset, byte) in bytes.enumerated() {
            if offset == 0 && byte == UInt8(ascii: "-") {
                negative = true
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - 0x30))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
        }
        self = negative ? -value : value
    }
}

extension Int: PostgresColumnValue {
    public init?(postgresText bytes: UnsafeRawBufferPointer?) {
        guard let value = Int64(postgresText: bytes) else { return nil }
        self = Int(value)
    }
}

extension String: PostgresColumnValue {
    public init?(postgresText bytes: UnsafeRawBufferPointer?) {
        guard let bytes else { return nil }
        self = String(decoding: bytes, as: UTF8.self)
    }
}

extension Bool: PostgresColumnValue {
    public init?(postgresText bytes: UnsafeRawBufferPointer?) {
        guard let bytes, bytes.count == 1 else { return nil }
        switch bytes[0] {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: return nil
        }
    }
}

/// `bytea` in its hex text form (`\x0a1b...`), the server's default output.
extension Array: PostgresColumnValue where Element == UInt8 {
    public init?(postgresText bytes: UnsafeRawBufferPointer?) {
        guard let bytes, bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else { return nil }
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x61...0x66: return byte - 0x61 + 10
            case 0x41...0x46: return byte - 0x41 + 10
            default: return nil
            }
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity((bytes.count - 2) / 2)
        var offset = 2
        while offset < bytes.count {
            guard let high = nibble(bytes[offset]), let low = nibble(bytes[offset + 1]) else { return nil }
            decoded.append(high << 4 | low)
            offset += 2
        }
        self = decoded
    }
}

extension Optional: PostgresColumnValue where Wrapped: PostgresColumnValue {
    public init?(postgresText bytes: UnsafeRawBufferPointer?) {
        guard let bytes else {
            self = .none
            return
        }
        guard let value = Wrapped(postgresText: bytes) else { return nil }
        self = .some(value)
    }
}
