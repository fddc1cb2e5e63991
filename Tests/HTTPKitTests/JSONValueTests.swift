import HTTPKit
import Testing

@Suite struct JSONValueTests {
    @Test func parsesNestedDocumentsKeepingMemberOrder() throws {
        let value = try JSONValue.parse(#" {"b": [1, -2.5e3, true, null], "a": {"s": "x\"\u00e9\ud83d\ude00"}} "#)
        #expect(value.objectMembers?.map(\.0) == ["b", "a"])
        #expect(value["b"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .null]))
        #expect(value["a"]?["s"]?.stringValue == "x\"é😀")
    }

    @Test(arguments: ["", "{", "{\"a\":1,}", "[1 2]", "01", "1.", "-", "\"\\x\"", "tru", "{\"a\":1}x", "\"\u{01}\"", "\"\\ud800\""])
    func rejectsMalformedDocuments(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsDuplicateMembers() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"amount":1,"amount":2}"#) }
        #expect(error?.reason.contains("duplicate") == true)
    }

    @Test func limitsNestingDepth() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        let shallow = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(throws: Never.self) { try JSONValue.parse(shallow) }
    }

    @Test func integerValueOnlyForPlainIntegers() throws {
        #expect(try JSONValue.parse("29900").integerValue == 29900)
        #expect(try JSONValue.parse("-3").integerValue == -3)
        #expect(try JSONValue.parse("1.0").integerValue == nil)
        #expect(try JSONValue.parse("1e3").integerValue == nil)
        #expect(try JSONValue.parse("99999999999999999999").integerValue == nil)
    }

    @Test func serializesCompactlyAndRoundTrips() throws {
        let value: JSONValue = .object([("a", .string("line\n\"q\" <tag>")), ("n", .int(5)), ("l", .array([.null, .bool(false)]))])
        #expect(value.serializedString == #"{"a":"line\n\"q\" \u003ctag>","n":5,"l":[null,false]}"#)
        #expect(try JSONValue.parse(value.serialized) == value)
    }
}
