import HTTPKit
import PaymentsDomain
import ServiceSupport

extension SessionRequest {
    /// The `sessions-profile` request body.
    func body(profileID: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("url", .object([
                ("return_url", .string(returnURL)),
                ("callback_url", .string(callbackURL + (callbackURL.contains("?") ? "&" : "?") + DinteroStatus.callbackOptions)),
            ])),
            ("order", .object([
                ("amount", .int(amount)),
                ("currency", .string(currency)),
                ("merchant_reference", .string(merchantReference)),
            ])),
            ("profile_id", .string(profileID)),
        ]
        if let expiresAt { members.append(("expires_at", .string(Timestamp.iso8601(epochMilliseconds: expiresAt)))) }
        return .object(members)
    }
}

extension OperationRequest {
    /// The capture / refund body (a void has none).
    var body: JSONValue? {
        switch kind {
        case .capture:
            return .object([("amount", .int(amount ?? 0)), ("capture_reference", .string(reference))])
        case .refund:
            var members: [(String, JSONValue)] = [("amount", .int(amount ?? 0)), ("refund_reference", .string(reference))]
            if let reason { members.append(("reason", .string(reason))) }
            return .object(members)
        case .void:
            return nil
        }
    }
}

extension GatewayTransaction {
    /// Reads a transaction document; nil when a required field is missing or mistyped.
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let status = json["status"]?.stringValue,
              let amount = json["amount"]?.integerValue, let currency = json["currency"]?.stringValue else { return nil }
        self.init(
            id: id,
            status: DinteroStatus.orderStatus(status),
            reportedStatus: status,
            amount: amount,
            currency: currency,
            merchantReference: json["merchant_reference"]?.stringValue,
            sessionID: json["session_id"]?.stringValue,
            events: (json["events"]?.arrayValue ?? []).compactMap { event in
                event["event"]?.stringValue.map { name in
                    Event(
                        operation: DinteroStatus.operation(eventName: name), success: event["success"] != .bool(false), amount: event["amount"]?.integerValue,
                        reference: event["event_reference"]?.stringValue, correlationID: event["correlation_request_id"]?.stringValue
                    )
                }
            }
        )
    }
}

extension GatewaySession {
    /// Reads a session document; nil without an id. Event names are read from `name` (or
    /// `event`, as transaction events spell it).
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        let events = (json["events"]?.arrayValue ?? []).compactMap { ($0["name"] ?? $0["event"])?.stringValue }
        let transactionID = json["transaction_id"]?.stringValue
        self.init(
            id: id,
            merchantReference: json["order"]?["merchant_reference"]?.stringValue,
            transactionID: transactionID,
            isCancelled: json["cancelled_at"]?.stringValue != nil || events.contains("CANCELLED"),
            hasFailed: transactionID == nil && events.contains { $0 == "FAILED" || $0 == "DECLINED" },
            expiresAt: json["expires_at"]?.stringValue.flatMap(Timestamp.parse)
        )
    }
}

extension GatewayError {
    /// The Dintero failure for a transport failure.
    init(_ error: TransportError) {
        switch error {
        case .timedOut: self = .timedOut
        case .unreachable(let reason): self = .unreachable(reason)
        case .atCapacity: self = .busy(retryAfter: 1)
        case .circuitOpen(let seconds): self = .busy(retryAfter: seconds)
        }
    }
}
