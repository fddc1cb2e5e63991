/// Checks shared by every JSON request body: media type, size, syntax, top-level object.
public enum JSONBody {
    /// The members of a JSON object body, or a 413/415/400 ``Problem`` naming `body`.
    public static func object(_ request: HTTPRequest) throws(Problem) -> [(String, JSONValue)] {
        if request.bodyExceedsLimit { throw .payloadTooLarge }
        guard request.mediaType == "application/json" else {
            throw Problem(
                status: .unsupportedMediaType,
                title: "Unsupported Media Type",
                detail: "Content-Type must be application/json, got \(request.mediaType ?? "none").",
                field: "body"
            )
        }
        guard !request.body.isEmpty else {
            throw .invalidField("body", "The request body is empty; a JSON object is required.")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(request.body)
        } catch where error.isInvalidUTF8 {
            let field = error.member ?? "body"
            throw .invalidField(field, "\(field) is not valid UTF-8 (byte \(error.offset) of the body).")
        } catch {
            throw .invalidField("body", "The request body is not valid JSON: \(error).")
        }
        guard let members = document.objectMembers else {
            throw .invalidField("body", "The request body must be a JSON object, got \(document.typeName).")
        }
        return members
    }

    /// The members of a JSON object body that may hold only `allowed` fields; an unknown field
    /// is a 400 naming it, never silently ignored.
    public static func object(_ request: HTTPRequest, allowing allowed: [String]) throws(Problem) -> [(String, JSONValue)] {
        let members = try object(request)
        if let unknown = members.first(where: { !allowed.contains($0.0) }) {
            throw .unknownField(unknown.0, allowed: allowed)
        }
        return members
    }
}

extension Problem {
    /// 413 for a body past the server's limit (the server kept none of it).
    public static let payloadTooLarge = Problem(
        status: .contentTooLarge, title: "Payload Too Large", detail: "The request body is larger than the service accepts.", field: "body"
    )

    /// 400 for a body field the endpoint does not take, listing those it does.
    public static func unknownField(_ name: String, allowed: [String]) -> Problem {
        let list = allowed.count > 1 ? allowed.dropLast().joined(separator: ", ") + " and " + allowed.last! : allowed.first ?? ""
        return .invalidField(name, "Unknown field \"\(name)\"; " + (allowed.isEmpty ? "this request takes no fields." : "allowed fields are \(list)."))
    }
}
