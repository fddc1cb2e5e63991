import Foundation
@testable import HTTPKit
import Testing

/// The byte-level fast paths on the request path answer exactly as the general code does.
@Suite struct RequestParsingFastPathTests {
    /// `Content-Type` parsing as it was written with Foundation, the reference.
    static func referenceMediaType(_ value: String) -> String {
        value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    @Test(arguments: [
        "application/json", "Application/JSON; charset=utf-8", "  application/json  ;charset=utf-8", "\tTEXT/HTML\t",
        "application/x-www-form-urlencoded", "", " ", ";", ";application/json", " ;application/json", "a;b;c",
        "application/json;", "multipart/form-data; boundary=X", "appl\u{e9}cation/json", "\u{a0}application/json",
    ])
    func mediaTypeMatchesTheReference(value: String) {
        #expect(HTTPRequest.mediaType(of: value) == Self.referenceMediaType(value))
    }

    @Test func stringsWithAndWithoutEscapesParseTheSame() throws {
        let document = #"{"plain": "abc", "empty": "", "utf8": "bl\#u{e5}b\#u{e6}r \#u{1f600}", "escaped": "a\"b\\c\/d\n\u00e5\ud83d\ude00", "mixed": "x\ty"}"#
        let value = try JSONValue.parse(document)
        #expect(value["plain"]?.stringValue == "abc")
        #expect(value["empty"]?.stringValue == "")
        #expect(value["utf8"]?.stringValue == "bl\u{e5}b\u{e6}r \u{1f600}")
        #expect(value["escaped"]?.stringValue == "a\"b\\c/d\n\u{e5}\u{1f600}")
        #expect(value["mixed"]?.stringValue == "x\ty")
    }

    @Test func errorsInUnescapedStringsAreReportedWhereTheyWereBefore() {
        // Not UTF-8 (a lone continuation byte, an overlong form), a raw control character, no
        // closing quote: each at the offset the general path reports.
        let cases: [([UInt8], String, Int)] = [
            (Array(#"{"a": "x"#.utf8) + [0x80] + Array(#"y"}"#.utf8), JSONParseError.invalidUTF8, 7),
            (Array(#"{"a": ""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), JSONParseError.invalidUTF8, 7),
            (Array(#"{"a": "x"#.utf8) + [0x0A] + Array(#""}"#.utf8), "control character in string", 8),
            (Array(#"{"a": "xyz"#.utf8), "unterminated string", 10),
        ]
        for (bytes, reason, offset) in cases {
            let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
            #expect(error?.reason == reason)
            #expect(error?.offset == offset)
            #expect(error?.member == "a")
        }
    }
}
