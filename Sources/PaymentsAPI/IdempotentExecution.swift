import HTTPKit
import PaymentsDomain

/// Runs a merchant POST under its `Idempotency-Key` header (optional): the first request's
/// status and body are kept with the key, scoped to the caller's API key, and replayed for a
/// repeat with `Idempotent-Replayed: true`; the same key with another request is 422, and a
/// repeat while the first is still running is 409. Requests that fail authentication or
/// validation never reach here, so they keep no key (as Stripe does).
struct IdempotentExecution {
    let service: IdempotencyService
    let errors: ErrorRenderer

    /// The header, as the IETF draft spells it.
    static let header = "Idempotency-Key"

    /// Answers `request`: `run` does the work (linking what it creates to the key it is
    /// given); `resume` finishes a first attempt whose process died after creating `resourceID`.
    /// A response for which `isFinal` is false (an outcome not known yet) is not kept: the key
    /// is released, and a retry with it resumes.
    func respond(
        to request: HTTPRequest,
        scope: String,
        isFinal: (HTTPResponse) -> Bool = { _ in true },
        run: (IdempotencyLink?) throws -> HTTPResponse,
        resume: (IdempotencyLink, String) throws -> HTTPResponse
    ) throws -> HTTPResponse {
        guard let key = request.header(Self.header) else { return try run(nil) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem.invalidField(Self.header, "\(Self.header) must be 1 to 255 visible ASCII characters (a UUID, say).")
        }
        let fingerprint = IdempotencyService.fingerprint(method: request.method, path: request.path, body: request.body)
        switch try service.begin(scope: scope, key: key, fingerprint: fingerprint) {
        case .replay(let stored):
            var response = HTTPResponse(status: HTTPStatus(stored.status), body: stored.body)
            response.headers.append("Content-Type", stored.contentType)
            for (name, value) in stored.headers.sorted(by: { $0.key < $1.key }) { response.headers.append(name, value) }
            response.headers.append("Idempotent-Replayed", "true")
            return response
        case .mismatch:
            throw Problem(
                status: .unprocessableContent, title: "Idempotency key reused",
                detail: "This \(Self.header) was already used for a different request (method, path or body); use a new key.",
                field: Self.header
            )
        case .inFlight:
            var problem = Problem(
                status: .conflict, title: "Request in progress",
                detail: "A request with this \(Self.header) is still being processed; retry shortly.", field: Self.header
            )
            problem.headers.append("Retry-After", "1")
            throw problem
        case .run(let link):
            return try finish(request, link, isFinal) { try run(link) }
        case .resume(let link, let resourceID):
            return try finish(request, link, isFinal) { try resourceID.map { try resume(link, $0) } ?? run(link) }
        }
    }

    private func finish(
        _ request: HTTPRequest, _ link: IdempotencyLink, _ isFinal: (HTTPResponse) -> Bool, _ body: () throws -> HTTPResponse
    ) throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try body()
        } catch let problem as Problem {
            response = errors.render(problem, for: request)
        } catch {
            // Unexpected (the store failed): keep nothing, so a retry runs (or resumes) afresh.
            try? service.release(link)
            throw error
        }
        guard isFinal(response) else {
            try service.release(link)
            return response
        }
        var kept: [String: String] = [:]
        for field in response.headers where !["content-type", "content-length"].contains(field.name.lowercased()) {
            kept[field.name] = field.value
        }
        do {
            try service.complete(link, with: StoredResponse(
                status: response.status.code, contentType: response.header("Content-Type") ?? "application/json",
                body: response.body, headers: kept
            ))
        } catch {
            // The work is done but its answer could not be kept (the store went away): give the
            // key up, so a retry resumes what was done instead of waiting out the lease.
            try? service.release(link)
            throw error
        }
        return response
    }
}
