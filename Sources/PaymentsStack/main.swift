import Dintero
import FastCGI
import Foundation
import LocalStack
import ProcessSupervision
import ServiceSupport
import Synchronization

// `make run`: the whole stack in the foreground until Ctrl-C.
ProcessSignals.blockTermination()
let log = Logger(label: "payments-stack")
let environment = Environment()

do {
    let root = FileManager.default.currentDirectoryPath
    let binDirectory = environment.string("BIN_DIR") ?? (CommandLine.arguments[0] as NSString).deletingLastPathComponent
    let port = try environment.integer("PORT", default: 3000, in: 1...65_535)
    let useSandbox = DinteroConfiguration.usesSandbox(environment)
    let stack = LocalStack(configuration: .init(
        runDirectory: environment.string("RUN_DIR") ?? "\(root)/run",
        binDirectory: binDirectory,
        nginxDirectory: "\(root)/nginx",
        port: port,
        sandboxPort: useSandbox ? try environment.integer("SANDBOX_PORT", default: 3001, in: 1...65_535) : nil,
        publicHost: environment.string("PUBLIC_HOST") ?? "localhost"
    ))
    try stack.start()
    // The example must work as printed: with keys configured it carries one (named, never shown).
    let keyFile = environment.string("PAYMENTS_API_KEY_FILE")
    let keyLine = environment.string("PAYMENTS_API_KEY").map { _ in #"KEY=${PAYMENTS_API_KEY%%,*}"# }
        ?? keyFile.map { "KEY=$(tr ',' '\\n' < \($0) | head -n 1)" }
    let authorization = keyLine == nil ? "" : #" -H "Authorization: Bearer $KEY""#
    FileHandle.standardOutput.write(Data("""

        Payments service   \(stack.baseURL)/orders   (and \(stack.baseURL)/payments)
        \(useSandbox ? "Dintero sandbox    \(stack.sandboxURL!)  (no DINTERO_CLIENT_ID set: local sandbox)" : "Dintero            real API (credentials from the environment)")
        Database           \(environment.string("DATABASE_URL") != nil || environment.string("DATABASE_URL_FILE") != nil ? "PostgreSQL (DATABASE_URL)" : stack.databasePath)
        Logs               \(stack.configuration.runDirectory)/*.log

        Try:  \(keyLine.map { "\($0)\n              " } ?? "")curl -s -X POST \(stack.baseURL)/orders\(authorization) -H 'Content-Type: application/json' \\
                -d '{"amount": 29900, "currency": "NOK", "receipt": "receipt#1"}'
        Then open the session_link in a browser, pay, and: curl -s\(authorization) \(stack.baseURL)/orders

        Ctrl-C stops everything; `make reload` replaces the workers without dropping a request.
        """.utf8))
    let failed = Atomic<Bool>(false)
    DispatchQueue.global().async {
        let name = stack.waitForAnyExit()
        failed.store(true, ordering: .sequentiallyConsistent)
        FileHandle.standardError.write(Data("\(name) exited unexpectedly; stopping the stack; \(stack.lastWords(of: name))\n".utf8))
        kill(getpid(), SIGTERM)
    }
    // `make reload` (SIGHUP here) reloads the workers: settings files re-read, new binary.
    let pidFile = "\(stack.configuration.runDirectory)/payments-stack.pid"
    try String(getpid()).write(toFile: pidFile, atomically: true, encoding: .utf8)
    while ProcessSignals.wait(for: ProcessSignals.termination + [ProcessSignals.reload]) == ProcessSignals.reload {
        log.info("SIGHUP: reloading the workers")
        stack.signal("payments-worker", ProcessSignals.reload)
    }
    try? FileManager.default.removeItem(atPath: pidFile)
    log.info("stopping")
    stack.stop()
    exit(failed.load(ordering: .sequentiallyConsistent) ? 1 : 0)
} catch {
    // Plain text: the reason may span lines (the failing process's last words).
    FileHandle.standardError.write(Data("make run: \(error)\n".utf8))
    // A bad setting (78, EX_CONFIG) stays recognisable to the caller.
    exit((error as? LocalStack.StartError)?.exitStatus == 78 ? 78 : 1)
}
