import HTTPKit
import ServiceSupport

/// An accept thread's responder: requests whose route waits on an outbound call (creates,
/// returns and callbacks, operations, card charges) are parked and answered by a thread of the
/// outbound pool, so the accept thread goes straight back to accepting; everything else (reads,
/// lists, health, shopper pages) is answered here at once and never waits behind Dintero.
struct OutboundParking: HTTPResponder {
    /// This accept thread's router, with its own database connection.
    let router: Router
    /// The threads that answer parked requests, each with a router on pooled connections.
    let pool: BlockingWorkPool<Router>

    func respond(to request: HTTPRequest) -> HTTPResponse {
        guard router.callsOut(request) else { return router.respond(to: request) }
        // Rendered here, in the API's own shape, for the case that no pool thread takes it.
        var busy = Problem(
            status: .serviceUnavailable, title: "Service busy",
            detail: "Too many requests are waiting on the payment provider; nothing was done. Retry shortly."
        )
        busy.headers.append("Retry-After", "1")
        var refusal = router.render(busy, for: request)
        refusal.route = "busy"
        return .later { [pool, refusal] reply in
            pool.submit({ router in
                reply(RequestContext.with(id: request.requestID) { router.respond(to: request) })
            }, refused: { _ in reply(refusal) })
        }
    }
}
