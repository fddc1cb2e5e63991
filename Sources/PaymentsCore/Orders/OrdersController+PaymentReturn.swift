/// Handling the shopper's return from Dintero and Dintero's callback.
extension OrdersController {
    /// Who is reporting the payment outcome.
    enum ReturnSource: String {
        case redirect, callback
    }

    /// What the verification concluded.
    enum ReturnOutcome {
        /// The order's status after applying a verified (or harmless unverified) outcome.
        case settled(Order)
        /// The parameters do not match a transaction of this order; nothing changed.
        case unverified(Order)
        /// Dintero could not be asked; nothing changed, try again later.
        case unavailable(Order)
    }

    func paymentReturn(_ request: HTTPRequest, orderID: String, source: ReturnSource) throws -> HTTPResponse {
        let wantsJSON = source == .callback || request.prefersJSON
        guard let order = try store.order(id: orderID) else {
            let problem = Problem.notFound("No order with id \(orderID).")
            return wantsJSON ? problem.response : ShopperPage.render(title: "Order not found", message: "We could not find this order.", status: 404)
        }
        let outcome = try verify(order, request, source: source)
        return wantsJSON ? Self.json(outcome) : Self.page(outcome)
    }

    private func verify(_ order: Order, _ request: HTTPRequest, source: ReturnSource) throws -> ReturnOutcome {
        let now = clock.now().epochMilliseconds
        if let transactionID = request.queryValue("transaction_id"), !transactionID.isEmpty {
            let transaction: DinteroTransaction?
            do {
                transaction = try gateway.transaction(id: transactionID)
            } catch {
                log.warning("order \(order.id): cannot verify transaction from \(source.rawValue): \(error)")
                return .unavailable(order)
            }
            guard let transaction else {
                log.warning("order \(order.id): \(source.rawValue) named unknown transaction \(transactionID)")
                return .unverified(order)
            }
            if let mismatch = Self.mismatch(transaction, order) {
                log.warning("order \(order.id): \(source.rawValue) transaction \(transaction.id) refused: \(mismatch)")
                return .unverified(order)
            }
            guard let status = OrderStatus(transactionStatus: transaction.status) else {
                log.warning("order \(order.id): transaction \(transaction.id) has unknown status \(transaction.status)")
                return .unverified(order)
            }
            let result = try store.transition(OrderStatusChange(
                orderID: order.id, status: status, transactionID: transaction.id, verified: true,
                source: source.rawValue, at: now
            ))
            guard let current = result.order else { throw Problem.notFound("No order with id \(order.id).") }
            if case .refused = result, current.transactionID != transaction.id {
                log.warning("order \(order.id): already paid by transaction \(current.transactionID ?? "-"), refused \(transaction.id)")
                return .unverified(current)
            }
            return .settled(current)
        }
        if let error = request.queryValue("error"), !error.isEmpty {
            let status: OrderStatus = error == "cancelled" ? .cancelled : .failed
            let result = try store.transition(OrderStatusChange(
                orderID: order.id, status: status, verified: false, source: source.rawValue,
                detail: "error=\(error.prefix(100))", at: now
            ))
            return .settled(result.order ?? order)
        }
        throw Problem.invalidField("transaction_id", "transaction_id (or error) is required.")
    }

    /// Why a transaction is not this order's, or nil when it matches.
    static func mismatch(_ transaction: DinteroTransaction, _ order: Order) -> String? {
        if transaction.merchantReference != order.id {
            return "merchant_reference \(transaction.merchantReference ?? "none") is not the order id"
        }
        if transaction.amount != order.amount || transaction.currency != order.currency {
            return "amount \(transaction.amount) \(transaction.currency) differs from the order's \(order.amount) \(order.currency)"
        }
        if let session = transaction.sessionID, let expected = order.sessionID, session != expected {
            return "session \(session) is not the order's session"
        }
        return nil
    }

    private static func message(_ outcome: ReturnOutcome) -> (status: Int, verified: Bool, title: String, text: String) {
        switch outcome {
        case .unverified:
            return (422, false, "Payment not verified", "The payment could not be verified. If you paid, contact the merchant with your order number.")
        case .unavailable:
            return (502, false, "Payment not confirmed yet", "We could not confirm the payment right now. Please reload this page in a moment.")
        case .settled(let order):
            switch order.status {
            case _ where order.status.isPaid: return (200, true, "Thank you!", "Your payment was received.")
            case .onHold: return (200, true, "Payment under review", "Your payment is being reviewed; you will hear from the merchant.")
            case .cancelled: return (200, true, "Payment cancelled", "The payment was cancelled. Nothing was charged.")
            case .failed, .declined, .authorizationVoided: return (200, true, "Payment failed", "The payment did not go through. Nothing was charged.")
            default: return (200, true, "Payment pending", "We have not received the payment yet.")
            }
        }
    }

    private static func order(of outcome: ReturnOutcome) -> Order {
        switch outcome {
        case .settled(let order), .unverified(let order), .unavailable(let order): return order
        }
    }

    static func json(_ outcome: ReturnOutcome) -> HTTPResponse {
        let message = message(outcome)
        return .json(.object([
            ("order", order(of: outcome).json(includeLinks: false)),
            ("verified", .bool(message.verified)),
            ("message", .string(message.text)),
        ]), status: message.status)
    }

    static func page(_ outcome: ReturnOutcome) -> HTTPResponse {
        let message = message(outcome)
        let order = order(of: outcome)
        return ShopperPage.render(
            title: message.title,
            message: "\(message.text) Order \(order.id): \(order.status.rawValue).",
            status: message.status
        )
    }
}
