import Dintero
import HTTPKit
@testable import PaymentsAPI
import PaymentsApp
import PaymentsDomain
import PaymentsSQLite
import ServiceSupport
import TestSupport
import Testing

@Suite struct SupportTests {
    @Test func formatsISO8601WithMillis() {
        #expect(Timestamp.iso8601(epochMilliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(epochMilliseconds: 1_795_000_000_123) == "2026-11-18T11:06:40.123Z")
        #expect(Timestamp.iso8601(epochMilliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func parsesDatesAndDateTimes() {
        #expect(Timestamp.parse("2026-11-18") == 1_794_960_000_000)
        #expect(Timestamp.parse("2026-11-18T11:06:40.123Z") == 1_795_000_000_123)
        #expect(Timestamp.parse("2026-11-18T12:06:40+01:00") == 1_795_000_000_000)
        #expect(Timestamp.parse("2024-02-29") != nil)
        for bad in ["2026-02-29", "2026-13-01", "2026-11-18T25:00Z", "2026-11-18T08:26", "18/11/2026", "2026-11-18Tx"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func decodesFormsAndQueries() {
        let pairs = FormEncoding.decode("a=1&b=x+y%21&c&d=%zz")
        #expect(pairs.map(\.name) == ["a", "b", "c", "d"])
        #expect(pairs.map(\.value) == ["1", "x y!", "", "%zz"])
        #expect(FormEncoding.encode([("k", "a b&c=d/é")]) == "k=a%20b%26c%3Dd%2F%C3%A9")
    }

    @Test func contentNegotiation() {
        #expect(HTTPRequest(method: "GET", path: "/", headers: ["Accept": "application/json"]).prefersJSON)
        #expect(!HTTPRequest(method: "GET", path: "/", headers: ["Accept": "text/html,application/json"]).prefersJSON)
        #expect(!HTTPRequest(method: "GET", path: "/").prefersJSON)
    }

    @Test func environmentValidatesSettings() {
        #expect(throws: ConfigurationError.self) { try Environment(["X": "abc"]).integer("X", default: 1, in: 1...5) }
        #expect(throws: ConfigurationError.self) { try Environment(["U": "ftp://x"]).baseURL("U", default: "http://a") }
        #expect(try! Environment(["U": "https://shop.example/"]).baseURL("U", default: "http://a") == "https://shop.example")
    }
}
