import HTTPKit

/// The pay-broker contract's error shape, `{"message": …, "field"?: …}`, for everything under
/// `/payments`: handler problems and the router's own 404, 405 and 500.
struct PaymentsErrorRenderer: ErrorRenderer {
    func render(_ problem: Problem, for request: HTTPRequest) -> HTTPResponse {
        var response = PaymentsController.message(problem.detail, status: problem.status, field: problem.field)
        for field in problem.headers { response.headers.append(field.name, field.value) }
        return response
    }
}
