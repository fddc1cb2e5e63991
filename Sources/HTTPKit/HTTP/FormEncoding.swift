/// `application/x-www-form-urlencoded` and query-string encoding.
public enum FormEncoding {
    /// Decodes `a=1&b=x%20y` into ordered pairs; `+` is a space. Malformed escapes are kept
    /// literally rather than dropped.
    public static func decode(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(String(parts[0]), plusIsSpace: true)
            let value = parts.count > 1 ? percentDecode(String(parts[1]), plusIsSpace: true) : ""
            return (name, value)
        }
    }

    /// Decodes a form body.
    public static func decode(_ body: [UInt8]) -> [(name: String, value: String)] {
        decode(String(decoding: body, as: UTF8.self))
    }

    /// The name of the first pair whose name or value has a malformed escape (`%zz`, a lone
    /// `%`) or does not percent-decode to valid UTF-8 (overlong forms, encoded surrogates,
    /// `%FF`), or nil when all are well formed. Such input is refused with a 400 naming the
    /// field, never stored with U+FFFD or a literal `%zz` in it.
    public static func firstInvalidField(_ text: String) -> String? {
        // `text` is valid UTF-8 already: only a percent escape can decode to something else.
        guard text.utf8.contains(UInt8(ascii: "%")) else { return nil }
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(decoding: percentDecodedBytes(String(parts[0]), plusIsSpace: true).bytes, as: UTF8.self)
            for part in parts {
                let decoded = percentDecodedBytes(String(part), plusIsSpace: true)
                if decoded.malformed || String(validating: decoded.bytes, as: UTF8.self) == nil { return name }
            }
        }
        return nil
    }

    /// The value of one ASCII hexadecimal digit.
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The name of the first invalid field of a form body (see ``firstInvalidField(_:)``);
    /// a body that is not UTF-8 itself is named `body`.
    public static func firstInvalidField(_ body: [UInt8]) -> String? {
        guard let text = String(validating: body, as: UTF8.self) else { return "body" }
        return firstInvalidField(text)
    }

    /// Encodes pairs for a query string or form body.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Percent-decodes `%XX` sequences (and `+` when `plusIsSpace`).
    public static func percentDecode(_ text: String, plusIsSpace: Bool = false) -> String {
        // Most path segments and values have nothing to decode: no copy for them.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else { return text }
        return String(decoding: percentDecodedBytes(text, plusIsSpace: plusIsSpace).bytes, as: UTF8.self)
    }

    /// The decoded bytes; `malformed` when a `%` was not followed by two hexadecimal digits
    /// (kept literally in `bytes`).
    private static func percentDecodedBytes(_ text: String, plusIsSpace: Bool) -> (bytes: [UInt8], malformed: Bool) {
        var malformed = false
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+"), plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                      let high = hexValue(iterator[iterator.startIndex]), let low = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                if byte == UInt8(ascii: "%") { malformed = true }
                bytes.append(byte)
            }
        }
        return (bytes, malformed)
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    public static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return output
    }
}
