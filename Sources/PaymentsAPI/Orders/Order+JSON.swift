import HTTPKit
import PaymentsDomain
import ServiceSupport

extension Order {
    /// The API representation; `links` carries the payment page while the session exists.
    func json(includeLinks: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
            ("created_at", .string(Timestamp.iso8601(epochMilliseconds: createdAt))),
            ("amount", .int(amount)),
            ("currency", .string(currency)),
            ("receipt", receipt.map(JSONValue.string) ?? .null),
            ("status", .string(status.rawValue)),
        ]
        if includeLinks {
            let links: [JSONValue] = sessionURL.map { [.object([("rel", .string("session_link")), ("href", .string($0))])] } ?? []
            members.append(("links", .array(links)))
        }
        return .object(members)
    }
}
