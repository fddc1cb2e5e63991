import Foundation
import PaymentsDomain
import Testing

/// A number of `length` digits with a valid Luhn check digit.
func luhnNumber(length: Int, prefix: String = "4") -> String {
    var body = prefix + String(repeating: "1", count: length - 1 - prefix.count)
    for digit in 0...9 where CardDetails.luhnValid(body + String(digit)) {
        body += String(digit)
        break
    }
    return body
}

@Suite struct CardDetailsTests {
    // 2026-11-22 12:00 UTC
    let now = Date(timeIntervalSince1970: 1_795_348_800)

    func valid(number: String = "4242424242424242", cvc: String = "123", expiry: String = "12/27") -> Bool {
        CardDetails(number: number, cvc: cvc, expiry: expiry, now: now) != nil
    }

    @Test(arguments: [(12, false), (13, true), (14, false), (15, true), (16, true), (17, false)])
    func cardNumberLength(length: Int, accepted: Bool) {
        let number = luhnNumber(length: length)
        #expect(number.count == length)
        #expect(CardDetails.luhnValid(number))
        #expect(valid(number: number) == accepted)
    }

    @Test func luhnOffByOneIsRejected() {
        #expect(valid(number: "4242424242424242"))
        #expect(!valid(number: "4242424242424241"))
        #expect(!valid(number: "4242424242424243"))
        #expect(valid(number: "378282246310005"))
        #expect(!valid(number: "378282246310006"))
    }

    @Test func cardNumberDigitsOnly() {
        #expect(!valid(number: "4242 4242 4242 4242"))
        #expect(!valid(number: "4242-4242-4242-4242"))
        #expect(!valid(number: "42424242424242４2"))
        #expect(!valid(number: ""))
    }

    @Test(arguments: [("12", false), ("123", true), ("1234", true), ("12345", false), ("12a", false), ("", false)])
    func cvcLength(cvc: String, accepted: Bool) {
        #expect(valid(cvc: cvc) == accepted)
    }

    @Test(arguments: [("00/27", false), ("01/27", true), ("12/27", true), ("13/27", false), ("1/27", false), ("01/2027", false), ("01-27", false), ("ab/cd", false)])
    func expiryMonth(expiry: String, accepted: Bool) {
        #expect(valid(expiry: expiry) == accepted)
    }

    @Test func expiryRelativeToTheCurrentMonth() {
        #expect(!valid(expiry: "10/26"))  // last month
        #expect(valid(expiry: "11/26"))   // this month: valid through its last day
        #expect(valid(expiry: "12/26"))   // next month
        let lastDay = Date(timeIntervalSince1970: 1_796_083_199)  // 2026-11-30T23:59:59Z
        #expect(CardDetails(number: "4242424242424242", cvc: "123", expiry: "11/26", now: lastDay) != nil)
        let nextMonth = Date(timeIntervalSince1970: 1_796_083_200)  // 2026-12-01T00:00:00Z
        #expect(CardDetails(number: "4242424242424242", cvc: "123", expiry: "11/26", now: nextMonth) == nil)
    }

    @Test func masksAllButFirstSixAndLastFour() {
        #expect(CardDetails(number: "4242424242424242", cvc: "123", expiry: "12/27", now: now)?.masked == "424242******4242")
        #expect(CardDetails(number: "378282246310005", cvc: "1234", expiry: "12/27", now: now)?.masked == "378282*****0005")
    }
}
