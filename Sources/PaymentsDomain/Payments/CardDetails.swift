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

    /// A field of the card form.
    public enum Field: String, Sendable, CaseIterable {
        case number = "cardno", expiry = "enddate", cvc
    }

    /// What is wrong with each invalid field, in words a shopper understands; empty when the
    /// details are valid (then ``init(number:cvc:expiry:now:)`` succeeds).
    public static func problems(number: String?, cvc: String?, expiry: String?, now: Date) -> [Field: String] {
        var problems: [Field: String] = [:]
        if let number, isDigits(number), [13, 15, 16].contains(number.count) {
            if !luhnValid(number) { problems[.number] = "This card number is not valid; please check it." }
        } else {
            problems[.number] = "Enter the 13, 15 or 16 digits of the card number."
        }
        if let expiry, expiry.count == 5, expiry.split(separator: "/").count == 2 {
            if !expiryValid(expiry, now: now) { problems[.expiry] = "This card has expired or the month is not 01–12." }
        } else {
            problems[.expiry] = "Enter the expiry date as MM/YY."
        }
        if !(cvc.map { isDigits($0) && (3...4).contains($0.count) } ?? false) {
            problems[.cvc] = "Enter the 3 or 4 digits of the security code."
        }
        return problems
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
