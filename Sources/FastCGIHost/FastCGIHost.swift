import FastCGI
import PaymentsCore

/// Serves core routers over FastCGI until SIGTERM or SIGINT, then drains in-flight requests.
public enum FastCGIHost {
    /// Starts `threads` accept threads on `socket`, each with its own router from
    /// `makeRouter` (called on that thread), and blocks until a termination signal.
    /// Call ``ProcessSignals/blockTermination()`` first thing in `main`.
    public static func serve(
        socket: Int32 = 0,
        threads: Int,
        maxBodyBytes: Int,
        log: Logger,
        makeRouter: @escaping @Sendable () throws -> Router
    ) throws {
        let server = FastCGIServer(configuration: .init(listenSocket: socket, threads: threads, maxBodyBytes: maxBodyBytes))
        try server.start {
            let router = try makeRouter()
            return { request in FastCGIResponse(router.respond(to: HTTPRequest(fastCGI: request))) }
        }
        let signal = ProcessSignals.waitForTermination()
        log.info("signal \(signal): finishing in-flight requests")
        server.shutdown()
    }
}
