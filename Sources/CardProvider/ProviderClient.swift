import HTTPKit
import PaymentsDomain

/// ``PaymentProvider`` over HTTP: `POST {base}/v1/payments` with a JSON body, answered by
/// `{"paymentId", "status": "approved" | "declined", "reason"}`.
public struct ProviderClient: PaymentProvider {
    let baseURL: String
    let apiKey: String?
    let timeout: Double
    let currency: String
    let transport: HTTPTransport

    /// Creates a client charging in `currency` (ISO 4217).
    public init(baseURL: String, apiKey: String?, timeout: Double, currency: String = "GBP", transport: HTTPTransport) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        self.currency = currency
        self.transport = transport
    }

    public func charge(_ charge: ProviderCharge) throws(ProviderError) -> ProviderOutcome {
        let body: JSONValue = .object([
            ("reference", .string(charge.reference)),
            ("amount", .int(charge.amount)),
            ("currency", .string(currency)),
            ("card", .object([
                ("number", .string(charge.card.number)),
                ("cvc", .string(charge.card.cvc)),
                ("expiry", .string(charge.card.expiry)),
            ])),
        ])
        var headers: HTTPFields = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if let apiKey { headers.append("Authorization", "Bearer \(apiKey)") }
        let response: TransportResponse
        do {
            response = try transport.send(TransportRequest(method: "POST", url: "\(baseURL)/v1/payments", headers: headers, body: body.serialized, timeout: timeout))
        } catch {
            throw ProviderError("provider \(error)")
        }
        guard response.status.isSuccess else { throw ProviderError("provider answered \(response.status)") }
        guard let json = try? JSONValue.parse(response.body), let status = json["status"]?.stringValue,
              ["approved", "declined"].contains(status) else {
            throw ProviderError("provider sent an invalid response")
        }
        let paymentID = json["paymentId"]?.stringValue
        guard status == "declined" || paymentID?.isEmpty == false else {
            throw ProviderError("provider approved without a paymentId")
        }
        return ProviderOutcome(approved: status == "approved", paymentID: paymentID, reason: json["reason"]?.stringValue.map { String($0.prefix(200)) })
    }
}
