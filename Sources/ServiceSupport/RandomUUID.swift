/// Lower-case random (version 4) UUID strings from the system generator (`getrandom`), without
/// Foundation's `UUID()`, which on Linux opens `/dev/urandom` for every id (measured: one
/// `openat` per created order).
public enum RandomUUID {
    /// `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`, lower case.
    public static func string() -> String {
        var generator = SystemRandomNumberGenerator()
        var high = generator.next() as UInt64, low = generator.next() as UInt64
        high = (high & ~0xF000) | 0x4000                      // version 4
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)         // variant 10
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var out = 0
            for index in 0..<32 {
                if index == 8 || index == 12 || index == 16 || index == 20 {
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
