import PaymentsDomain

extension DinteroTransaction {
    /// The status Dintero reports for an authorized transaction after captures and refunds
    /// (the sandbox and the test doubles follow the same rule).
    public static func statusAfterOperations(amount: Int64, captured: Int64, refunded: Int64) -> String {
        switch (captured, refunded) {
        case (0, _): return "AUTHORIZED"
        case (_, 0): return captured >= amount ? "CAPTURED" : "PARTIALLY_CAPTURED"
        case _ where refunded >= captured && captured >= amount: return "REFUNDED"
        default: return captured >= amount ? "PARTIALLY_REFUNDED" : "PARTIALLY_CAPTURED_REFUNDED"
        }
    }
}
