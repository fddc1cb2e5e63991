import HTTPKit
import Testing
import TestSupport

@Suite struct RouterTests {
    struct Shouting: ErrorRenderer {
        func render(_ problem: Problem, for request: HTTPRequest) -> HTTPResponse {
            .json(.object([("shout", .string(problem.title.uppercased()))]), status: problem.status)
        }
    }

    func router() -> Router {
        var router = Router(log: testLog)
        router.group("/loud", errors: Shouting()) { group in
            group.on(.get, ":id") { _, parameters in .json(.string(try parameters.require("id"))) }
            group.on(.get, ":id/typo") { _, parameters in .json(.string(try parameters.require("idd"))) }
            group.on(.post, ":id") { _, _ in throw Problem.invalidField("x", "bad x") }
        }
        router.group("/plain") { group in
            group.on(.get, "") { _, _ in .json(.bool(true)) }
        }
        return router
    }

    @Test func eachGroupRendersItsOwnErrors() {
        let router = router()
        #expect(router.respond(to: HTTPRequest(method: "GET", path: "/loud/a%20b")).body == Array(#""a b""#.utf8))
        let problem = router.respond(to: HTTPRequest(method: "POST", path: "/loud/1"))
        #expect(problem.status == 400)
        #expect(String(decoding: problem.body, as: UTF8.self) == #"{"shout":"INVALID REQUEST"}"#)
        let notFound = router.respond(to: HTTPRequest(method: "GET", path: "/loud/1/2/3"))
        #expect(notFound.status == 404)
        #expect(String(decoding: notFound.body, as: UTF8.self) == #"{"shout":"NOT FOUND"}"#)
        let wrongMethod = router.respond(to: HTTPRequest(method: "PUT", path: "/loud/1"))
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD, POST")
        #expect(String(decoding: wrongMethod.body, as: UTF8.self) == #"{"shout":"METHOD NOT ALLOWED"}"#)
        let outside = router.respond(to: HTTPRequest(method: "GET", path: "/elsewhere"))
        #expect(outside.header("Content-Type") == "application/problem+json")
        #expect(router.respond(to: HTTPRequest(method: "HEAD", path: "/plain")).body.isEmpty)
    }

    /// A handler asking for a parameter its route does not capture is a 500, never "".
    @Test func aMissingRouteParameterIsAnError() {
        let response = router().respond(to: HTTPRequest(method: "GET", path: "/loud/1/typo"))
        #expect(response.status == 500)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"shout":"INTERNAL SERVER ERROR"}"#)
    }

    @Test func headerFieldsAreCaseInsensitiveAndOrdered() {
        var fields: HTTPFields = [("Set-Cookie", "a"), ("content-type", "text/plain"), ("Set-Cookie", "b")]
        #expect(fields["Content-Type"] == "text/plain")
        #expect(fields.values("set-cookie") == ["a", "b"])
        // Case folding is for letters only: '-' and '\r' differ by the same bit as 'A' and 'a'.
        #expect(fields["content\rtype"] == nil)
        #expect(fields["content-typ"] == nil)
        fields.set("CONTENT-TYPE", "application/json")
        #expect(fields.values("content-type") == ["application/json"])
        fields.remove("set-cookie")
        #expect(fields.count == 1)
    }
}
