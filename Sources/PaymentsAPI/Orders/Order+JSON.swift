import HTTPKit
import PaymentsDomain
import ServiceSupport

extension Order {
    /// Writes the API representation; `links` carries the payment page while the session
    /// exists. `operations`, when given, are listed (the unfinished ones show what is pending).
    func write(to json: inout JSONWriter, includeLinks: Bool, operations: [OrderOperation]? = nil) {
        json.object { json in
            json.key("id"); json.string(id)
            json.key("created_at"); json.timestamp(createdAt)
            json.key("amount"); json.int(amount)
            json.key("currency"); json.string(currency)
            json.key("receipt"); json.string(receipt)
            json.key("status"); json.string(status.rawValue)
            json.key("captured_amount"); json.int(capturedAmount)
            json.key("refunded_amount"); json.int(refundedAmount)
            if let expiresAt, status == .pending || status == .expired {
                json.key("expires_at"); json.timestamp(expiresAt)
            }
            if let operations {
                json.key("operations")
                json.array { json in for operation in operations { json.value(operation.json) } }
            }
            if includeLinks {
                json.key("links")
                json.array { json in
                    guard let sessionURL else { return }
                    json.object { json in
                        json.key("rel"); json.string("session_link")
                        json.key("href"); json.string(sessionURL)
                    }
                }
            }
        }
    }

    /// The representation as a response body.
    func response(includeLinks: Bool, operations: [OrderOperation]? = nil, status: HTTPStatus = .ok) -> HTTPResponse {
        .json(status: status) { write(to: &$0, includeLinks: includeLinks, operations: operations) }
    }

    /// The representation as a value, to embed in another document (a problem, say).
    func json(includeLinks: Bool, operations: [OrderOperation]? = nil) -> JSONValue {
        var json = JSONWriter()
        write(to: &json, includeLinks: includeLinks, operations: operations)
        // The writer's own output always parses.
        return (try? JSONValue.parse(json.bytes)) ?? .null
    }
}

extension JSONWriter {
    /// Epoch milliseconds as an ISO 8601 string (`2026-11-23T12:00:00.000Z`).
    mutating func timestamp(_ epochMilliseconds: Int64) {
        unescapedString { Timestamp.appendISO8601(epochMilliseconds: epochMilliseconds, to: &$0) }
    }
}
