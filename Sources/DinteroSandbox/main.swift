import Dintero
import FastCGI
import Foundation
import HTTPClient
import HTTPKit
import PaymentsDomain
import ProcessSupervision
import ServiceSupport

// A local stand-in for Dintero Checkout, served over FastCGI behind nginx on a loopback port.
ProcessSignals.blockTermination()
let log = Logger(label: "dintero-sandbox")

do {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--socket"), index + 1 < arguments.count else {
        throw ConfigurationError("usage: dintero-sandbox --socket PATH [--threads N]  (settings: SANDBOX_* variables, see docs/dintero.md)")
    }
    let threads = arguments.firstIndex(of: "--threads").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? 4
    let configuration = try SandboxConfiguration.from(Environment())
    let socketPath = arguments[index + 1]
    let socket = try FastCGISocket.listen(path: socketPath, mode: 0o666)
    let state = SandboxState()
    let recorder = try configuration.recordPath.map(ExchangeRecorder.init(path:))
    let callbacks = CallbackDispatcher(
        transport: URLSessionTransport(),
        state: state,
        delay: configuration.callbackDelay,
        attempts: configuration.callbackAttempts,
        httpsOnly: configuration.callbacksHTTPSOnly,
        recorder: recorder,
        signature: configuration.callbackSecret.map { CallbackSignature(secret: $0, accountID: configuration.accountID) },
        log: log
    )
    log.info("Dintero sandbox for account \(configuration.accountID) at \(configuration.publicURL) (socket \(socketPath))")
    try FastCGIServer.serve(socket: socket, threads: max(1, threads), maxBodyBytes: 64 * 1024) {
        var router = Router(log: log, errors: DinteroErrorRenderer())
        router.group("/", errors: DinteroErrorRenderer()) { group in
            SandboxAPI(configuration: configuration, state: state, callbacks: callbacks, log: log).register(on: &group)
        }
        return RecordingResponder(router: router, recorder: recorder)
    }
    try FastCGISocket.removeSocketFile(socketPath)
    exit(0)
} catch {
    log.error("\(error)")
    exit(error is ConfigurationError ? 78 : 1)
}

/// Dintero's error document, `{"error": {"code", "message"}}`, for every error the sandbox's
/// router raises.
struct DinteroErrorRenderer: ErrorRenderer {
    func render(_ problem: Problem, for request: HTTPRequest) -> HTTPResponse {
        SandboxAPI.error(problem.status, problem.field.map { "invalid_\($0)" } ?? "error", problem.detail)
    }
}
