/// Checks shared by every JSON request body: media type, size, syntax, top-level object.
public enum JSONBody {
    /// The members of a JSON object body, or a 413/415/400 ``Problem`` naming `body`.
    public static func object(_ request: HTTPRequest) throws(Problem) -> [(String, JSONValue)] {
        if request.bodyExceedsLimit {
            throw Problem(status: .contentTooLarge, title: "Payload Too Large", detail: "The request body is larger than the service accepts.", field: "body")
        }
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
}
