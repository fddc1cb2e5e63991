import HTTPKit
import PaymentsDomain

/// The shopper's return from Dintero and Dintero's callback: JSON for the callback and API
/// clients, a page for the browser.
extension OrdersController {
    func paymentReturn(_ request: HTTPRequest, orderID: String, source: OrderService.ReturnSource) throws -> HTTPResponse {
        let wantsJSON = source == .callback || request.prefersJSON
        let transactionID = request.queryValue("transaction_id").flatMap { $0.isEmpty ? nil : $0 }
        if let transactionID, !Self.isTransactionID(transactionID) {
            throw Problem.invalidField("transaction_id", "transaction_id must be 1 to 128 letters, digits, '.', '_', ':' or '-'.")
        }
        let claim = OrderService.ReturnClaim(
            transactionID: transactionID,
            error: request.queryValue("error").flatMap { $0.isEmpty ? nil : $0 }
        )
        let verified: OrderService.ReturnOutcome?
        do {
            verified = try service.verifyReturn(orderID: orderID, claim: claim, source: source)
        } catch OrderService.Failure.noOutcome {
            throw Problem.invalidField("transaction_id", "transaction_id (or error) is required.")
        }
        guard let outcome = verified else {
            let problem = Problem.notFound("No order with id \(orderID).")
            return wantsJSON ? problem.response : ShopperPage.render(
                title: "Order not found",
                lead: "We could not find this order. Check the link, or contact \(branding.shopName).",
                body: ShopperPage.link("Back to \(branding.shopName)", to: branding.shopURL),
                status: .notFound
            )
        }
        if source == .callback, case .unavailable = outcome {
            // Dintero could not be asked just now: 503 with Retry-After, so Dintero calls again
            // (a 4xx would end its retries and lose the callback).
            var response = Self.json(outcome)
            response.status = .serviceUnavailable
            response.headers.append("Retry-After", "2")
            return response
        }
        return wantsJSON ? Self.json(outcome) : page(outcome, checkAgain: request.path + (request.query.isEmpty ? "" : "?" + request.query))
    }

    /// Dintero ids (`T12345678.4XxkJ…`) are short runs of these characters; anything else is
    /// the caller's mistake and is answered 400 before Dintero is asked.
    static func isTransactionID(_ text: String) -> Bool {
        text.utf8.count <= 128 && text.utf8.allSatisfy {
            switch $0 {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    private static func message(_ outcome: OrderService.ReturnOutcome) -> (status: HTTPStatus, verified: Bool, title: String, text: String) {
        switch outcome {
        case .unverified:
            return (.unprocessableContent, false, "Payment not verified", "The payment could not be verified. If you paid, contact the merchant with your order number.")
        case .unconfirmed:
            return (.unprocessableContent, false, "Outcome not confirmed", "We could not confirm this outcome with the payment provider, so the order is unchanged.")
        case .unavailable:
            return (.badGateway, false, "Payment not confirmed yet", "We could not confirm the payment right now. Please reload this page in a moment.")
        case .settled(let order):
            switch order.status {
            case _ where order.status.isPaid: return (.ok, true, "Thank you!", "Your payment was received.")
            case .onHold: return (.ok, true, "Payment under review", "Your payment is being reviewed; you will hear from the merchant.")
            case .cancelled: return (.ok, true, "Payment cancelled", "The payment was cancelled. Nothing was charged.")
            case .expired: return (.ok, true, "Payment expired", "The time to pay this order ran out. Nothing was charged.")
            case .failed, .declined, .authorizationVoided: return (.ok, true, "Payment failed", "The payment did not go through. Nothing was charged.")
            default: return (.ok, true, "Payment pending", "We have not received the payment yet.")
            }
        }
    }

    static func json(_ outcome: OrderService.ReturnOutcome) -> HTTPResponse {
        let message = message(outcome)
        return .json(.object([
            ("order", outcome.order.json(includeLinks: false)),
            ("verified", .bool(message.verified)),
            ("message", .string(message.text)),
        ]), status: message.status)
    }

    /// The page the shopper lands on. Every outcome offers a way forward: an unconfirmed one
    /// can be checked again (`checkAgain`, this same return) or paid on the still-open payment
    /// page; a failed one sends the shopper back to the shop to try again.
    func page(_ outcome: OrderService.ReturnOutcome, checkAgain: String) -> HTTPResponse {
        let message = Self.message(outcome)
        let order = outcome.order
        var actions = ""
        if !message.verified {
            actions += ShopperPage.link("Check again", to: checkAgain)
            if order.status == .pending { actions += ShopperPage.link("Return to the payment page", to: order.sessionURL, secondary: true) }
        } else if order.status == .pending {
            actions += ShopperPage.link("Return to the payment page", to: order.sessionURL)
        }
        let failed: Set<OrderStatus> = [.failed, .declined, .authorizationVoided, .expired, .cancelled, .sessionFailed]
        let back = failed.contains(order.status) ? "Try again at \(branding.shopName)" : "Back to \(branding.shopName)"
        let details = """
            <dl>
            <dt>Order</dt><dd>\(HTML.escape(order.receipt ?? order.id))</dd>
            <dt>Amount</dt><dd>\(HTML.escape(MoneyFormat.format(minorUnits: order.amount, currency: order.currency)))</dd>
            <dt>Status</dt><dd>\(HTML.escape(Self.statusSentence(order.status)))</dd>
            </dl>
            \(order.receipt == nil ? "" : "<p>Order number \(HTML.escape(order.id)).</p>")
            \(actions)
            \(ShopperPage.link(back, to: branding.shopURL, secondary: !actions.isEmpty))
            """
        return ShopperPage.render(title: message.title, lead: message.text, body: details, status: message.status)
    }

    /// The order's status as a shopper would say it.
    static func statusSentence(_ status: OrderStatus) -> String {
        switch status {
        case .created, .pending: return "Waiting for payment"
        case .sessionFailed: return "Could not be opened for payment"
        case .cancelled: return "Cancelled, nothing was charged"
        case .onHold: return "Paid, under review"
        case .authorized: return "Paid"
        case .partiallyCaptured, .captured: return "Paid"
        case .partiallyRefunded, .partiallyCapturedRefunded: return "Partly refunded"
        case .refunded: return "Refunded"
        case .authorizationVoided: return "Payment released, nothing was charged"
        case .failed: return "Payment failed, nothing was charged"
        case .declined: return "Payment declined, nothing was charged"
        case .expired: return "Expired, nothing was charged"
        }
    }
}
