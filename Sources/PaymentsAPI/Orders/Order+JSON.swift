import HTTPKit
import PaymentsDomain
import ServiceSupport

extension Order {
    /// The API representation; `links` carries the payment page while the session exists.
    /// `operations`, when given, are listed (the unfinished ones show what is pending).
    func json(includeLinks: Bool, operations: [OrderOperation]? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
            ("created_at", .string(Timestamp.iso8601(epochMilliseconds: createdAt))),
            ("amount", .int(amount)),
            ("currency", .string(currency)),
            ("receipt", receipt.map(JSONValue.string) ?? .null),
            ("status", .string(status.rawValue)),
            ("captured_amount", .int(capturedAmount)),
            ("refunded_amount", .int(refundedAmount)),
        ]
        if let expiresAt, status == .pending || status == .expired {
            members.append(("expires_at", .string(Timestamp.iso8601(epochMilliseconds: expiresAt))))
        }
        if let operations { members.append(("operations", .array(operations.map(\.json)))) }
        if includeLinks {
            let links: [JSONValue] = sessionURL.map { [.object([("rel", .string("session_link")), ("href", .string($0))])] } ?? []
            members.append(("links", .array(links)))
        }
        return .object(members)
    }
}
