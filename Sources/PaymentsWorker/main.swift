import FastCGI
import Foundation
import PaymentsCore

// Before any thread exists, so that only the main thread's sigwait sees SIGTERM/SIGINT.
ProcessSignals.blockTermination()

let environment = Environment()
let log = Logger(label: "payments-worker")

do {
    let options = try WorkerOptions.parse(CommandLine.arguments, environment: environment)
    let configuration = try ServiceConfiguration.from(environment)
    if let socketPath = options.socketPath, !options.isChild {
        try Supervisor.run(options: options, socketPath: socketPath, configuration: configuration, log: log)
    } else {
        try Worker.run(options: options, configuration: configuration, log: log)
    }
    exit(0)
} catch let error as ConfigurationError {
    log.error("configuration: \(error)")
    exit(78)  // EX_CONFIG
} catch {
    log.error("\(error)")
    exit(1)
}
