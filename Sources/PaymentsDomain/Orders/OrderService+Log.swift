import ServiceSupport

/// The order's life in the log: one line when it is created, one per status change and one per
/// operation step, each naming the order, so `grep order=<id>` follows it from create to refund.
/// The same points count the business metrics (``BusinessMetric``).
extension OrderService {
    /// Applies `change` to the order (as last seen: `before`) and logs what it did.
    func transition(_ change: OrderStatusChange, from before: Order?) throws -> OrderTransition {
        let result = try store.transition(change)
        if case .changed(let order) = result {
            var fields: [(String, String)] = [
                ("order", order.id), ("from", before?.status.rawValue ?? "-"), ("to", order.status.rawValue),
                ("amount", String(order.amount)), ("currency", order.currency), ("source", change.source),
            ]
            if let session = change.session { fields.append(("session", session.id)) }
            if let transaction = order.transactionID { fields.append(("transaction", transaction)) }
            if order.capturedAmount > 0 || order.refundedAmount > 0 {
                fields += [("captured", String(order.capturedAmount)), ("refunded", String(order.refundedAmount))]
            }
            log.log(.info, "order status", fields)
            BusinessCounters.add(BusinessMetric.orderStatusChanges, ["to": order.status.rawValue])
        }
        if let update = change.operation {
            var fields: [(String, String)] = [("order", change.orderID), ("operation", update.id), ("kind", change.source), ("state", update.state.rawValue)]
            if let requestID = update.requestID { fields.append(("dintero_request", requestID)) }
            if let detail = update.detail { fields.append(("detail", detail)) }
            log.log(.info, "order operation", fields)
            if !update.state.isOpenState {
                BusinessCounters.add(BusinessMetric.operations, ["kind": change.source, "outcome": update.state.rawValue])
            }
            if update.state == .succeeded, let order = result.order, let before {
                // What this operation moved: the change in the order's totals.
                let moved = change.source == "refund" ? order.refundedAmount - before.refundedAmount : order.capturedAmount - before.capturedAmount
                if moved > 0 { BusinessCounters.add(BusinessMetric.amounts, ["kind": change.source, "currency": order.currency], Double(moved)) }
            }
        }
        return result
    }

    /// Logs a new order.
    func logCreated(_ order: Order) {
        log.log(.info, "order created", [("order", order.id), ("amount", String(order.amount)), ("currency", order.currency)])
        BusinessCounters.add(BusinessMetric.ordersCreated, ["currency": order.currency])
    }
}

/// The business metrics' names, where the domain counts them (``BusinessCounters``).
public enum BusinessMetric {
    public static let ordersCreated = "payments_orders_created_total"
    public static let orderStatusChanges = "payments_order_status_changes_total"
    public static let operations = "payments_order_operations_total"
    public static let amounts = "payments_order_operation_amount_minor_total"
    public static let verificationRefusals = "payments_verification_refusals_total"
    public static let callbackSignatureFailures = "payments_callback_signature_failures_total"
    public static let cardPayments = "payments_card_payments_total"
}

extension OrderOperation.State {
    /// Requested or pending: no outcome yet.
    var isOpenState: Bool { self == .requested || self == .pending }
}
