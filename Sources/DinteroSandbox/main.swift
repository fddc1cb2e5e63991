import FastCGI
import FastCGIHost
import Foundation
import PaymentsCore

// A local stand-in for Dintero Checkout, served over FastCGI behind nginx on a loopback port.
ProcessSignals.blockTermination()
let log = Logger(label: "dintero-sandbox")

do {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--socket"), index + 1 < arguments.count else {
        throw ConfigurationError("usage: dintero-sandbox --socket PATH [--threads N]  (settings: SANDBOX_* variables, see README.md)")
    }
    let threads = arguments.firstIndex(of: "--threads").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? 4
    let configuration = try SandboxConfiguration.from(Environment())
    let socketPath = arguments[index + 1]
    let socket = try FastCGISocket.listen(path: socketPath, mode: 0o666)
    let state = SandboxState()
    let callbacks = CallbackDispatcher(
        transport: URLSessionTransport(),
        state: state,
        delay: configuration.callbackDelay,
        attempts: configuration.callbackAttempts,
        log: log
    )
    log.info("Dintero sandbox for account \(configuration.accountID) at \(configuration.publicURL) (socket \(socketPath))")
    try FastCGIHost.serve(socket: socket, threads: max(1, threads), maxBodyBytes: 64 * 1024, log: log) {
        var router = Router(log: log)
        SandboxAPI(configuration: configuration, state: state, callbacks: callbacks, log: log).register(on: &router)
        return router
    }
    unlink(socketPath)
    exit(0)
} catch {
    log.error("\(error)")
    exit(error is ConfigurationError ? 78 : 1)
}
