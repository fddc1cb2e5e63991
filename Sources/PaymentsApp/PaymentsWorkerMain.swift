import FastCGI
import Foundation
import ServiceSupport

/// `payments-worker`: supervisor mode with `--socket`, worker mode on an inherited fd 0.
public enum PaymentsWorkerMain {
    /// Runs the worker command line and returns the process exit status.
    public static func run(arguments: [String] = CommandLine.arguments, environment: Environment = Environment()) -> Int32 {
        var log = Logger(label: "payments-worker")
        do {
            log = try Logger.from(environment, label: "payments-worker")
            let options = try WorkerOptions.parse(arguments, environment: environment)
            let configuration = try ServiceConfiguration.from(environment)
            if let target = options.backupPath {
                let written = try configuration.storage.backup(to: target)
                log.info("backup: \(written)")
                return 0
            }
            if let socketPath = options.socketPath, !options.isChild {
                try Supervisor.run(options: options, socketPath: socketPath, configuration: configuration, log: log)
            } else {
                try Worker.run(options: options, configuration: configuration, log: log)
            }
            return 0
        } catch let error as ConfigurationError {
            log.error("configuration: \(error)")
            return 78  // EX_CONFIG
        } catch {
            log.error("\(error)")
            return 1
        }
    }
}
