import PaymentsDomain

/// Dintero's names for transaction statuses and events, and what they mean in the domain.
public enum DinteroStatus {
    /// The order status for a Dintero transaction status; nil for one the service does not know.
    public static func orderStatus(_ status: String) -> OrderStatus? {
        switch status.uppercased() {
        case "ON_HOLD": return .onHold
        case "AUTHORIZED": return .authorized
        case "PARTIALLY_CAPTURED": return .partiallyCaptured
        case "CAPTURED": return .captured
        case "PARTIALLY_REFUNDED": return .partiallyRefunded
        case "PARTIALLY_CAPTURED_REFUNDED": return .partiallyCapturedRefunded
        case "REFUNDED": return .refunded
        case "AUTHORIZATION_VOIDED": return .authorizationVoided
        case "FAILED": return .failed
        case "DECLINED": return .declined
        default: return nil
        }
    }

    /// The status Dintero reports for an authorized transaction after captures and refunds
    /// (the sandbox and the test doubles follow the same rule).
    public static func afterOperations(amount: Int64, captured: Int64, refunded: Int64) -> String {
        switch (captured, refunded) {
        case (0, _): return "AUTHORIZED"
        case (_, 0): return captured >= amount ? "CAPTURED" : "PARTIALLY_CAPTURED"
        case _ where refunded >= captured && captured >= amount: return "REFUNDED"
        default: return captured >= amount ? "PARTIALLY_REFUNDED" : "PARTIALLY_CAPTURED_REFUNDED"
        }
    }

    /// The transaction event an operation causes (`CAPTURE`, `REFUND`, `VOID`).
    public static func eventName(_ operation: OperationRequest.Kind) -> String {
        operation.rawValue.uppercased()
    }

    /// The operation a transaction event records; nil for `AUTHORIZE` and the rest.
    static func operation(eventName: String) -> OperationRequest.Kind? {
        OperationRequest.Kind.allCases.first { Self.eventName($0) == eventName.uppercased() }
    }

    /// Asked of Dintero with every session: it also calls back for captures, refunds and
    /// voids made elsewhere (its back office), and for cancelled or failed payments.
    static let callbackOptions = "report_event=CAPTURE&report_event=REFUND&report_event=VOID&report_error=true"
}
