import Foundation

/// ISO 8601 formatting and parsing in UTC.
public enum Timestamp {
    /// `2026-11-22T18:51:13.123Z` for an epoch-milliseconds value.
    public static func iso8601(epochMilliseconds ms: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendISO8601(epochMilliseconds: ms, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``iso8601(epochMilliseconds:)`` appended as bytes.
    public static func appendISO8601(epochMilliseconds ms: Int64, to out: inout [UInt8]) {
        let seconds = Int(ms.quotientFloor(1000))
        let millis = Int32(ms - Int64(seconds) * 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func digits(_ value: Int32, _ width: Int) {
            var divisor: Int32 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = max(0, value)
            // Years past 9999 keep all their digits.
            while divisor * 10 <= rest { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(parts.tm_year + 1900, 4); out.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2); out.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2); out.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2); out.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2); out.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2); out.append(UInt8(ascii: "."))
        digits(millis, 3); out.append(UInt8(ascii: "Z"))
    }

    /// Parses `YYYY-MM-DD` (midnight UTC), or a date-time `YYYY-MM-DDTHH:MM[:SS[.fff]]` with
    /// `Z` or a `±HH:MM` offset; returns epoch milliseconds.
    public static func parse(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count,
                  chars[range].allSatisfy({ (48...57).contains($0) }) else { return nil }
            return Int(String(decoding: chars[range], as: UTF8.self))
        }
        guard chars.count >= 10, chars[4] == 45, chars[7] == 45,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
        var millis = 0
        var index = 10
        if chars.count > 10 {
            guard chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: " "), chars.count >= 16, chars[13] == 58,
                  let hour = number(11..<13), let minute = number(14..<16), hour < 24, minute < 60 else { return nil }
            seconds += hour * 3600 + minute * 60
            index = 16
            if index < chars.count, chars[index] == 58 {
                guard let second = number(17..<19), second < 60 else { return nil }
                seconds += second
                index = 19
                if index < chars.count, chars[index] == UInt8(ascii: ".") {
                    var end = index + 1
                    while end < chars.count, (48...57).contains(chars[end]) { end += 1 }
                    guard end > index + 1 else { return nil }
                    let fraction = String(decoding: chars[(index + 1)..<min(end, index + 4)], as: UTF8.self)
                    millis = Int(fraction.padding(toLength: 3, withPad: "0", startingAt: 0)) ?? 0
                    index = end
                }
            }
            guard index < chars.count else { return nil }
            if chars[index] == UInt8(ascii: "Z") {
                index += 1
            } else if chars[index] == UInt8(ascii: "+") || chars[index] == UInt8(ascii: "-") {
                guard chars.count == index + 6, chars[index + 3] == 58,
                      let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)),
                      hours < 24, minutes < 60 else { return nil }
                let offset = hours * 3600 + minutes * 60
                seconds += chars[index] == UInt8(ascii: "+") ? -offset : offset
                index += 6
            } else {
                return nil
            }
        }
        guard index == chars.count else { return nil }
        return Int64(seconds) * 1000 + Int64(millis)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension Int64 {
    fileprivate func quotientFloor(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
