/// An error answered as an RFC 9457 problem document (`application/problem+json`).
///
/// Handlers throw it; the router turns it into the response. `field` names the request field
/// at fault, when there is one.
public struct Problem: Error, Sendable, Equatable {
    /// HTTP status.
    public var status: HTTPStatus
    /// A short, fixed summary of the problem type.
    public var title: String
    /// What went wrong in this occurrence.
    public var detail: String
    /// The offending request field (`amount`, `currency`, `body`, ...).
    public var field: String?
    /// Extra members added to the document.
    public var extensions: [(String, JSONValue)]
    /// Extra response header fields (`WWW-Authenticate`, `Retry-After`), whatever the shape.
    public var headers: HTTPFields = [:]

    /// Creates a problem.
    public init(status: HTTPStatus, title: String, detail: String, field: String? = nil, extensions: [(String, JSONValue)] = []) {
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.extensions = extensions
    }

    public static func == (lhs: Problem, rhs: Problem) -> Bool {
        lhs.status == rhs.status && lhs.title == rhs.title && lhs.detail == rhs.detail && lhs.field == rhs.field
    }

    /// 400 for a field that is missing or invalid.
    public static func invalidField(_ field: String, _ detail: String) -> Problem {
        Problem(status: .badRequest, title: "Invalid request", detail: detail, field: field)
    }

    /// 404 for a resource that does not exist.
    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, title: "Not Found", detail: detail)
    }

    /// The problem document.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string("about:blank")),
            ("title", .string(title)),
            ("status", .int(status.code)),
            ("detail", .string(detail)),
        ]
        if let field { members.append(("field", .string(field))) }
        members.append(contentsOf: extensions)
        return .object(members)
    }

    /// The problem as a response.
    public var response: HTTPResponse {
        var response = HTTPResponse.json(json, status: status)
        response.headers.set("Content-Type", "application/problem+json")
        for field in headers { response.headers.append(field.name, field.value) }
        return response
    }
}
