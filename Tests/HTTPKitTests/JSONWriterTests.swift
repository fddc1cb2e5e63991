import HTTPKit
import Testing

@Suite struct JSONWriterTests {
    @Test func placesCommasAtEveryLevel() {
        var json = JSONWriter()
        json.object { json in
            json.key("a"); json.int(1)
            json.key("b")
            json.array { json in
                json.string("x")
                json.object { _ in }
                json.array { json in json.null(); json.bool(true) }
                json.int(nil as Int64?)
            }
            json.key("c"); json.string(nil as String?)
            json.key("d"); json.unescapedString { $0.append(contentsOf: "2026-11-23T12:00:00.000Z".utf8) }
        }
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":1,"b":["x",{},[null,true],null],"c":null,"d":"2026-11-23T12:00:00.000Z"}"#)
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 10, 29_900, Int64.max])
    func writesIntegersAsDecimalText(_ value: Int64) {
        var json = JSONWriter()
        json.int(value)
        #expect(String(decoding: json.bytes, as: UTF8.self) == String(value))
    }

    @Test(arguments: ["", "NOK", "plain text that is longer than fifteen bytes", "é😀", "q\"b\\s", "<script>", "\u{01}\t\n\r\u{1F}"])
    func escapesStringsOfEveryLengthAndRoundTrips(_ text: String) throws {
        var json = JSONWriter()
        json.string(text)
        let written = String(decoding: json.bytes, as: UTF8.self)
        #expect(!written.dropFirst().dropLast().contains("<"))
        #expect(try JSONValue.parse(json.bytes) == .string(text))
    }

    @Test func writesAValueAsItsSerialization() throws {
        let value = try JSONValue.parse(#"{"b":[1,-2.5e3,true,null],"a":{"s":"x\"é"},"e":[],"o":{}}"#)
        var json = JSONWriter()
        json.array { json in json.value(value); json.value(value) }
        #expect(json.bytes == Array("[\(value.serializedString),\(value.serializedString)]".utf8))
        #expect(value.serializedString == #"{"b":[1,-2.5e3,true,null],"a":{"s":"x\"é"},"e":[],"o":{}}"#)
    }
}
