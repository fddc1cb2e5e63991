/// An HTTP status code with its standard reason phrase.
public struct HTTPStatus: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The numeric code.
    public let code: Int

    /// Creates a status from its code.
    public init(_ code: Int) { self.code = code }
    public init(integerLiteral code: Int) { self.code = code }

    public static let ok: HTTPStatus = 200
    public static let accepted: HTTPStatus = 202
    public static let found: HTTPStatus = 302
    public static let seeOther: HTTPStatus = 303
    public static let badRequest: HTTPStatus = 400
    public static let unauthorized: HTTPStatus = 401
    public static let forbidden: HTTPStatus = 403
    public static let notFound: HTTPStatus = 404
    public static let methodNotAllowed: HTTPStatus = 405
    public static let conflict: HTTPStatus = 409
    public static let contentTooLarge: HTTPStatus = 413
    public static let unsupportedMediaType: HTTPStatus = 415
    public static let unprocessableContent: HTTPStatus = 422
    public static let internalServerError: HTTPStatus = 500
    public static let badGateway: HTTPStatus = 502
    public static let serviceUnavailable: HTTPStatus = 503

    /// True for 2xx.
    public var isSuccess: Bool { (200..<300).contains(code) }
    /// True for 4xx.
    public var isClientError: Bool { (400..<500).contains(code) }
    /// True for 5xx.
    public var isServerError: Bool { code >= 500 }

    /// The standard reason phrase (`Not Found`), or `Status` for a code without one here.
    public var reasonPhrase: String {
        switch code {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 302: return "Found"
        case 303: return "See Other"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }

    public var description: String { String(code) }

    /// Lets `status == 200` style comparisons read naturally.
    public static func == (lhs: HTTPStatus, rhs: Int) -> Bool { lhs.code == rhs }
}
