import CPostgres
import SQL

/// A query's result (text format), freed once its rows are read.
final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    /// The result's column names, in order.
    func layout() -> SQLRow.Layout {
        SQLRow.Layout(columns: (0..<PQnfields(handle)).map { PQfname(handle, $0).map { String(cString: $0) } ?? "" })
    }

    /// Every row, each column decoded by its server type: integers and booleans as
    /// ``SQLValue/integer(_:)``, floating point as `real`, `bytea` as `blob`, the rest as text.
    func rows(layout: SQLRow.Layout) throws -> [SQLRow] {
        let columns = PQnfields(handle)
        let types = (0..<columns).map { PQftype(handle, $0) }
        return try (0..<PQntuples(handle)).map { row in
            SQLRow(layout: layout, values: try (0..<columns).map { column in
                guard PQgetisnull(handle, row, column) == 0 else { return .null }
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(handle, row, column), count: Int(PQgetlength(handle, row, column)))
                guard let value = Self.decode(bytes, type: types[Int(column)]) else {
                    throw PostgresError(.decoding, message: "column \"\(layout.columns[Int(column)])\" (type \(types[Int(column)])) does not decode")
                }
                return value
            })
        }
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, type: Oid) -> SQLValue? {
        switch type {
        case 16: // bool
            guard bytes.count == 1 else { return nil }
            return bytes[0] == UInt8(ascii: "t") ? .integer(1) : bytes[0] == UInt8(ascii: "f") ? .integer(0) : nil
        case 20, 21, 23, 26: // int8, int2, int4, oid
            return integer(bytes).map(SQLValue.integer)
        case 700, 701: // float4, float8
            return Double(String(decoding: bytes, as: UTF8.self)).map(SQLValue.real)
        case 17: // bytea, in its hex text form (`\x0a1b...`), the server's default output
            return byteaHex(bytes).map(SQLValue.blob)
        default:
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    private static func integer(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        var negative = false
        for (offset, byte) in bytes.enumerated() {
            if offset == 0 && byte == UInt8(ascii: "-") {
                negative = true
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            // Accumulated negatively, so Int64.min parses too.
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.subtractingReportingOverflow(Int64(byte - 0x30))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
        }
        if negative { return value }
        return value == Int64.min ? nil : -value
    }

    private static func byteaHex(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else { return nil }
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
        return decoded
    }
}
