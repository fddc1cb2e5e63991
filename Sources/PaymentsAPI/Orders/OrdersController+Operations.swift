import HTTPKit
import PaymentsDomain
import ServiceSupport

/// `POST /orders/{id}/capture|refund|void|cancel` and `GET /orders/{id}/events`.
extension OrdersController {
    func registerOperations(on merchant: inout RouteGroup.Authenticated) {
        for kind in OperationRequest.Kind.allCases {
            merchant.on(.post, ":id/\(kind.rawValue)", callsOut: true) { request, parameters, scope in
                try operation(kind, request, orderID: try parameters.require("id"), scope: scope)
            }
        }
        merchant.on(.post, ":id/cancel", callsOut: true) { request, parameters, _ in
            _ = try OperationInput.decode(request, allowed: [])
            return try cancel(orderID: try parameters.require("id"))
        }
        merchant.on(.get, ":id/events") { _, parameters, _ in try events(orderID: try parameters.require("id")) }
    }

    func operation(_ kind: OperationRequest.Kind, _ request: HTTPRequest, orderID: String, scope: String) throws -> HTTPResponse {
        let input = try OperationInput.decode(request, kind: kind)
        return try idempotency.respond(
            to: request, scope: scope,
            // An unknown outcome is not an answer to keep: the retry must look it up.
            isFinal: { $0.status != .serviceUnavailable },
            run: { link in try Self.answer { try service.perform(kind, orderID: orderID, amount: input.amount, reason: input.reason, linking: link) } },
            resume: { link, operationID in try Self.answer { try service.resumeOperation(id: operationID, linking: link) } }
        )
    }

    func cancel(orderID: String) throws -> HTTPResponse {
        do {
            return try service.cancel(orderID: orderID).response(includeLinks: false)
        } catch let failure as OrderService.OperationFailure {
            throw Self.problem(failure)
        }
    }

    func events(orderID: String) throws -> HTTPResponse {
        guard let history = try service.history(orderID: orderID) else { throw Problem.notFound("No order with id \(orderID).") }
        return .json(.object([
            ("events", .array(history.events.map(\.json))),
            ("operations", .array(history.operations.map(\.json))),
        ]))
    }

    private static func answer(_ perform: () throws -> OrderService.OperationOutcome) throws -> HTTPResponse {
        do {
            switch try perform() {
            case .done(let order, let operation):
                return order.response(includeLinks: false, operations: [operation])
            case .accepted(let order, let operation):
                return order.response(includeLinks: false, operations: [operation], status: .accepted)
            }
        } catch let failure as OrderService.OperationFailure {
            throw problem(failure)
        }
    }

    private static func problem(_ failure: OrderService.OperationFailure) -> Problem {
        switch failure {
        case .orderNotFound:
            return .notFound("No such order.")
        case .refused(let order, let violation):
            return Problem(
                status: violation.isConflict ? .conflict : .unprocessableContent,
                title: violation.isConflict ? "Not allowed in this state" : "Amount not allowed",
                detail: violation.detail,
                field: violation.isConflict ? nil : "amount",
                extensions: [("rule", .string(violation.rule)), ("order", order.json(includeLinks: false))]
            )
        case .rejected(let order, let operation, let error):
            return Problem(
                status: .conflict, title: "Refused by Dintero",
                detail: "Dintero refused the \(operation.kind.rawValue): \(error.summary). Nothing was changed.",
                extensions: [("rule", .string("dintero")), ("order", order.json(includeLinks: false)), ("operation", operation.json)]
            )
        case .outcomeUnknown(let order, let operation, let error):
            var problem = Problem(
                status: .serviceUnavailable, title: "Outcome not known yet",
                detail: "\(error.summary). Retry with the same Idempotency-Key: the \(operation.kind.rawValue) is looked up in Dintero first and never sent twice.",
                extensions: [("order", order.json(includeLinks: false)), ("operation", operation.json)]
            )
            problem.headers.append("Retry-After", String(retryAfter(error)))
            return problem
        case .cancelRefused(let order, let error):
            return Problem(
                status: .conflict, title: "Refused by Dintero",
                detail: "Dintero refused to cancel the payment session: \(error.summary). The order is still PENDING.",
                extensions: [("rule", .string("dintero")), ("order", order.json(includeLinks: false))]
            )
        case .unavailable(let order, let error):
            var problem = Problem(
                status: .serviceUnavailable, title: "Payment provider unavailable",
                detail: "\(error.summary). Nothing was changed; retry shortly.",
                extensions: [("order", order.json(includeLinks: false))]
            )
            problem.headers.append("Retry-After", String(retryAfter(error)))
            return problem
        }
    }

    private static func retryAfter(_ error: GatewayError) -> Int {
        if case .busy(let seconds) = error { return seconds }
        return 5
    }
}

extension OrderOperation {
    var json: JSONValue {
        .object([
            ("id", .string(id)),
            ("kind", .string(kind.rawValue)),
            ("amount", amount.map { .int($0) } ?? .null),
            ("state", .string(state.rawValue)),
            ("detail", detail.map(JSONValue.string) ?? .null),
            ("created_at", .string(Timestamp.iso8601(epochMilliseconds: createdAt))),
            ("updated_at", .string(Timestamp.iso8601(epochMilliseconds: updatedAt))),
        ])
    }
}

extension OrderEvent {
    var json: JSONValue {
        .object([
            ("at", .string(Timestamp.iso8601(epochMilliseconds: at))),
            ("from", from.map { .string($0.rawValue) } ?? .null),
            ("to", .string(to.rawValue)),
            ("source", .string(source)),
            ("transaction_id", transactionID.map(JSONValue.string) ?? .null),
            ("amount", amount.map { .int($0) } ?? .null),
            ("operation_id", operationID.map(JSONValue.string) ?? .null),
            ("detail", detail.map(JSONValue.string) ?? .null),
        ])
    }
}
