import HTTPKit
import ServiceSupport

/// The merchant API keys (`PAYMENTS_API_KEY`, a comma-separated list so a key can be rotated
/// without downtime: add the new one, move clients over, remove the old one).
///
/// One scheme for both APIs: `Authorization: Bearer <key>`, compared in constant time against
/// every configured key. With no key configured the merchant endpoints are open (local use;
/// the supervisor logs a warning at start).
public struct APIKeys: Sendable {
    private let keys: [[UInt8]]

    /// The configured keys; empty entries are ignored.
    public init(_ keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Keys from a comma- or newline-separated list.
    public init(list: String?) {
        self.init((list ?? "").split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// True when no key is configured (the merchant endpoints are open).
    public var isEmpty: Bool { keys.isEmpty }

    /// How many keys are configured (a rotation has two).
    public var count: Int { keys.count }

    /// The scope of the request's key: `key:<first 16 hex digits of its SHA-256>` (so a key
    /// never reaches storage), `open` without configured keys; a 401 problem otherwise.
    func authenticate(_ request: HTTPRequest) throws(Problem) -> String {
        guard !keys.isEmpty else { return "open" }
        let header = request.header("authorization") ?? ""
        var matched: [UInt8]?
        if header.utf8.count > 7, header.lowercased().hasPrefix("bearer ") {
            let given = Array(header.utf8.dropFirst(7))
            // Every key is compared, whichever matches, so timing does not tell which.
            for key in keys where constantTimeEquals(given, key) { matched = key }
        }
        guard let matched else {
            var problem = Problem(
                status: .unauthorized,
                title: "Unauthorized",
                detail: "A valid API key is required: send Authorization: Bearer <key>."
            )
            problem.headers.append("WWW-Authenticate", #"Bearer realm="payments""#)
            throw problem
        }
        return "key:" + String(SHA256.hex(SHA256.hash(matched)).prefix(16))
    }
}
