/// Writes compact JSON straight into bytes: a response built from stored values needs no
/// ``JSONValue`` tree in between (measured: building and releasing the tree of a 20-order page
/// cost as much as writing it). Commas are placed by the writer; members and elements are
/// written in call order.
///
///     var json = JSONWriter()
///     json.object { json in
///         json.key("id"); json.string(id)
///         json.key("amount"); json.int(amount)
///     }
///     let body = json.bytes
public struct JSONWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]
    /// A value was written at the current level, so the next one needs a comma first.
    private var separate = false

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// An object whose members `body` writes (a ``key(_:)`` before each value).
    public mutating func object<E: Error>(_ body: (inout JSONWriter) throws(E) -> Void) throws(E) {
        try container(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), body)
    }

    /// An array whose elements `body` writes.
    public mutating func array<E: Error>(_ body: (inout JSONWriter) throws(E) -> Void) throws(E) {
        try container(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), body)
    }

    /// A member's name, written as it is (a name in the code needs no escaping, so it is not
    /// scanned); the next value written is its value.
    public mutating func key(_ name: StaticString) {
        assert(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount).allSatisfy { !Self.needsEscape($0) })
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: "\":".utf8)
        separate = false
    }

    /// A member's name from data, escaped as needed.
    public mutating func key(escaping name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        separate = false
    }

    /// A string value, escaped as needed.
    public mutating func string(_ value: String) {
        beginValue()
        Self.appendString(value, to: &bytes)
    }

    /// A string value, or null.
    public mutating func string(_ value: String?) {
        guard let value else { return null() }
        string(value)
    }

    /// A string value whose bytes `write` appends and which needs no escaping (a timestamp
    /// the caller formats itself, say).
    public mutating func unescapedString(_ write: (inout [UInt8]) -> Void) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        write(&bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// An integer value.
    public mutating func int(_ value: Int64) {
        beginValue()
        Self.appendDecimal(value, to: &bytes)
    }

    /// An integer value, or null.
    public mutating func int(_ value: Int64?) {
        guard let value else { return null() }
        int(value)
    }

    /// A boolean value.
    public mutating func bool(_ value: Bool) {
        beginValue()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// The null value.
    public mutating func null() {
        beginValue()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A whole ``JSONValue``.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let text):
            beginValue()
            var text = text
            text.withUTF8 { bytes.append(contentsOf: $0) }
        case .string(let text): string(text)
        case .array(let elements): array { json in for element in elements { json.value(element) } }
        case .object(let members):
            object { json in
                for (name, member) in members {
                    json.key(escaping: name)
                    json.value(member)
                }
            }
        }
    }

    private mutating func beginValue() {
        if separate { bytes.append(UInt8(ascii: ",")) }
        separate = true
    }

    private mutating func container<E: Error>(open: UInt8, close: UInt8, _ body: (inout JSONWriter) throws(E) -> Void) throws(E) {
        beginValue()
        bytes.append(open)
        separate = false
        try body(&self)
        bytes.append(close)
        separate = true
    }

    private static func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // 20 digits hold any UInt64; written backwards, then copied in order.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Through `withUTF8`, which gives small (inline) strings contiguous bytes too: most
        // values here are short ("NOK", a status) and need no escaping, so one scan and one copy.
        var text = text
        text.withUTF8 { bytes in
            if !bytes.contains(where: needsEscape) {
                output.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
                case 0x0A: output.append(contentsOf: #"\n"#.utf8)
                case 0x0D: output.append(contentsOf: #"\r"#.utf8)
                case 0x09: output.append(contentsOf: #"\t"#.utf8)
                // "<" escaped so a JSON string never closes a <script> when embedded in HTML.
                case UInt8(ascii: "<"): output.append(contentsOf: #"\u003c"#.utf8)
                case 0..<0x20:
                    let hex = String(byte, radix: 16)
                    output.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                default: output.append(byte)
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "<")
    }
}
