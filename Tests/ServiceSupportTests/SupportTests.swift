import Foundation
import ServiceSupport
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

    @Test func environmentValidatesSettings() throws {
        #expect(throws: ConfigurationError.self) { try Environment(["X": "abc"]).integer("X", default: 1, in: 1...5) }
        #expect(throws: ConfigurationError.self) { try Environment(["U": "ftp://x"]).baseURL("U", default: "http://a") }
        #expect(try Environment(["U": "https://shop.example/"]).baseURL("U", default: "http://a") == "https://shop.example")
    }

    @Test func environmentChoosesAmongNamedValues() throws {
        let policies = ["batch", "other"]
        #expect(try Environment([:]).choice("P", of: policies, default: "batch") == "batch")
        #expect(try Environment(["P": " Other "]).choice("P", of: policies, default: "batch") == "other")
        let error = #expect(throws: ConfigurationError.self) { try Environment(["P": "fifo"]).choice("P", of: policies, default: "batch") }
        #expect("\(error.map { "\($0)" } ?? "")".contains(#"P must be batch or other, got "fifo""#))
        let levels = #expect(throws: ConfigurationError.self) { try Environment(["L": "chatty"]).choice("L", of: ["debug", "info", "error"], default: "info") }
        #expect("\(levels.map { "\($0)" } ?? "")".contains("L must be debug, info or error"))
    }
}

@Suite struct SHA256Tests {
    @Test func nistVectors() {
        #expect(SHA256.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231 test case 2, and Dintero's published callback-signature vector.
    @Test func hmacVectors() {
        #expect(SHA256.hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let signed = "1582236537\nP00000000\nGET\nexample.com\n/callback\nA=992&B=123"
        #expect(SHA256.hex(SHA256.hmac(key: Array("123".utf8), message: Array(signed.utf8)))
                == "6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a")
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals(Array("key".utf8), Array("key".utf8)))
        #expect(!constantTimeEquals(Array("key".utf8), Array("kez".utf8)))
        #expect(!constantTimeEquals(Array("key".utf8), Array("key2".utf8)))
        #expect(!constantTimeEquals([], Array("k".utf8)))
    }
}

@Suite struct LogfmtTests {
    @Test func valuesAreBareQuotedOrEscaped() {
        #expect(Logger.value("abc-123") == "abc-123")
        #expect(Logger.value("two words") == #""two words""#)
        #expect(Logger.value(#"say "hi""#) == #""say \"hi\"""#)
        #expect(Logger.value(#"a\b"#) == #""a\\b""#)
        #expect(Logger.value("line\nforged") == #""line\u{a}forged""#)
        #expect(Logger.value("k=v") == #""k=v""#)
        #expect(Logger.value("") == #""""#)
        #expect(Logger.value(String(repeating: "x", count: 5_000)).count < 2_100)
    }
}

@Suite struct RandomUUIDTests {
    @Test func versionFourUUIDsAndRequestIDs() {
        let id = RandomUUID.string()
        #expect(UUID(uuidString: id) != nil)
        #expect(id == id.lowercased())
        #expect(Array(id)[14] == "4")
        #expect("89ab".contains(Array(id)[19]))
        let hex = RandomUUID.hex128()
        #expect(hex.count == 32 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(RandomUUID.hex128() != hex)
    }
}
