import Foundation
import ServiceSupport

/// Dintero's callback signature (`Dintero-Signature: t=<unix seconds>,v0-hmac-sha256=<hex>`):
/// an HMAC-SHA256, with the account's signature secret, of
/// `<t>\n<account id>\n<METHOD>\n<host>\n<path>\n<query>` where the query's parameters are
/// sorted, without the leading `?`, spaces as `+`. The body is not signed.
public struct CallbackSignature: Sendable {
    /// Why a signature was refused.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missing
        case malformed
        case outsideWindow
        case mismatch

        public var description: String {
            switch self {
            case .missing: return "the Dintero-Signature header is missing"
            case .malformed: return "the Dintero-Signature header is not t=<seconds>,v0-hmac-sha256=<hex>"
            case .outsideWindow: return "the Dintero-Signature timestamp is outside the 5-minute window"
            case .mismatch: return "the Dintero-Signature does not match this request"
            }
        }
    }

    public let secret: String
    public let accountID: String
    /// Seconds a signature stays valid either side of now.
    public let window: Int64

    public init(secret: String, accountID: String, window: Int64 = 300) {
        self.secret = secret
        self.accountID = accountID
        self.window = window
    }

    /// The hex digest for one request.
    public func digest(timestamp: Int64, method: String, host: String, path: String, query: String) -> String {
        let message = "\(timestamp)\n\(accountID)\n\(method.uppercased())\n\(host)\n\(path)\n\(Self.canonicalQuery(query))"
        return SHA256.hex(SHA256.hmac(key: Array(secret.utf8), message: Array(message.utf8)))
    }

    /// The header value Dintero sends for this request at `timestamp`.
    public func header(timestamp: Int64, method: String, host: String, path: String, query: String) -> String {
        "t=\(timestamp),v0-hmac-sha256=\(digest(timestamp: timestamp, method: method, host: host, path: path, query: query))"
    }

    /// Checks a received header; `now` in unix seconds.
    public func verify(_ header: String?, method: String, host: String, path: String, query: String, now: Int64) -> Result<Void, Failure> {
        guard let header, !header.isEmpty else { return .failure(.missing) }
        var timestamp: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { return .failure(.malformed) }
            switch pair[0] {
            case "t": timestamp = Int64(pair[1])
            case "v0-hmac-sha256": signatures.append(pair[1].lowercased())
            default: continue  // other schemes may appear later
            }
        }
        guard let timestamp, !signatures.isEmpty,
              signatures.allSatisfy({ $0.utf8.count == 64 && $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } }) else {
            return .failure(.malformed)
        }
        guard abs(now - timestamp) <= window else { return .failure(.outsideWindow) }
        let expected = Array(digest(timestamp: timestamp, method: method, host: host, path: path, query: query).utf8)
        return signatures.contains { constantTimeEquals(Array($0.utf8), expected) } ? .success(()) : .failure(.mismatch)
    }

    /// The query as signed: parameters sorted, no leading `?`, spaces as `+`.
    public static func canonicalQuery(_ raw: String) -> String {
        raw.split(separator: "&").filter { !$0.isEmpty }
            .map { $0.replacingOccurrences(of: "%20", with: "+") }
            .sorted().joined(separator: "&")
    }
}
