import Foundation

/// Card details as submitted: validated in memory, never stored; only ``masked`` is kept.
public struct CardDetails: Sendable {
    public let number: String
    public let cvc: String
    /// `MM/YY` as submitted.
    public let expiry: String

    /// Validates the three fields; nil when any is invalid. The card is valid through the last
    /// day of its expiry month, in UTC.
    public init?(number: String?, cvc: String?, expiry: String?, now: Date) {
        guard let number, Self.isDigits(number), [13, 15, 16].contains(number.count), Self.luhnValid(number),
              let cvc, Self.isDigits(cvc), (3...4).contains(cvc.count),
              let expiry, Self.expiryValid(expiry, now: now) else { return nil }
        self.number = number
        self.cvc = cvc
        self.expiry = expiry
    }

    /// First 6 and last 4 digits, the rest replaced by `*`.
    public var masked: String {
        String(number.prefix(6)) + String(repeating: "*", count: number.count - 10) + String(number.suffix(4))
    }

    /// True for a non-empty string of ASCII digits.
    public static func isDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The Luhn (mod 10) checksum over an all-digit string.
    public static func luhnValid(_ digits: String) -> Bool {
        var sum = 0
        for (offset, byte) in digits.utf8.reversed().enumerated() {
            var digit = Int(byte - UInt8(ascii: "0"))
            if offset % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// `MM/YY`, month 01–12, and not before the current month (UTC).
    public static func expiryValid(_ text: String, now: Date) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard text.count == 5, parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              isDigits(String(parts[0])), isDigits(String(parts[1])),
              let month = Int(parts[0]), let year = Int(parts[1]), (1...12).contains(month) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let current = calendar.dateComponents([.year, .month], from: now)
        let expiry = (2000 + year) * 12 + month
        return expiry >= current.year! * 12 + current.month!
    }
}
