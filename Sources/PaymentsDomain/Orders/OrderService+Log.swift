import ServiceSupport

/// The order's life in the log: one line when it is created, one per status change and one per
/// operation step, each naming the order, so `grep order=<id>` follows it from create to refund.
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
        }
        if let update = change.operation {
            var fields: [(String, String)] = [("order", change.orderID), ("operation", update.id), ("kind", change.source), ("state", update.state.rawValue)]
            if let requestID = update.requestID { fields.append(("dintero_request", requestID)) }
            if let detail = update.detail { fields.append(("detail", detail)) }
            log.log(.info, "order operation", fields)
        }
        return result
    }

    /// Logs a new order.
    func logCreated(_ order: Order) {
        log.log(.info, "order created", [("order", order.id), ("amount", String(order.amount)), ("currency", order.currency)])
    }
}
