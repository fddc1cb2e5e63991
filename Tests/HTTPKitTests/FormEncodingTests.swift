import HTTPKit
import Testing

@Suite struct FormEncodingTests {
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
}
