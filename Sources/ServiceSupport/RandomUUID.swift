/// Random ids from the system generator (`getrandom`), without Foundation's `UUID()`, which on
/// Linux opens `/dev/urandom` for every id (measured: one `openat` per created order).
public enum RandomUUID {
    /// `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`, lower case (version 4).
    public static func string() -> String {
        var generator = SystemRandomNumberGenerator()
        let (high, low): (UInt64, UInt64) = (generator.next(), generator.next())
        return hex((high & ~0xF000) | 0x4000, (low & ~(0xC000 << 48)) | (0x8000 << 48), dashes: true)  // version 4, variant 10
    }

    /// 128 random bits as 32 lower-case hex digits (like nginx's `$request_id`).
    public static func hex128() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next(), generator.next(), dashes: false)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// The 32 hex digits of `high` then `low`, with a UUID's dashes when asked.
    private static func hex(_ high: UInt64, _ low: UInt64, dashes: Bool) -> String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            var out = 0
            for index in 0..<32 {
                if dashes && (index == 8 || index == 12 || index == 16 || index == 20) {
                    buffer[out] = UInt8(ascii: "-")
                    out += 1
                }
                let word = index < 16 ? high : low
                buffer[out] = digits[Int((word >> (60 - 4 * UInt64(index % 16))) & 0xF)]
                out += 1
            }
            return out
        }
    }
}
