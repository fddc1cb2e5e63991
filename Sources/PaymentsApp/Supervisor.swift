import FastCGI
import Foundation
import PaymentsSQLite
import ServiceSupport

/// Supervisor mode: migrates the database once, owns the socket, runs the worker processes.
enum Supervisor {
    static func run(options: WorkerOptions, socketPath: String, configuration: ServiceConfiguration, log: Logger) throws {
        try FileManager.default.createDirectory(
            atPath: (configuration.databasePath as NSString).deletingLastPathComponent.isEmpty
                ? "." : (configuration.databasePath as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        // Exactly one process (this one) migrates before any worker opens the database.
        let migrated = try Schema.openAndMigrate(path: configuration.databasePath)
        migrated.close()
        configuration.warnWhenOpen(log)
        Sweeper.start(configuration: configuration, log: log)

        let socket = try FastCGISocket.listen(path: socketPath, mode: mode_t(options.socketMode))
        let supervisor = FastCGISupervisor(
            configuration: .init(
                executable: Bundle.main.executablePath ?? CommandLine.arguments[0],
                arguments: ["--child", "--threads", String(options.threads)],
                workers: options.workers,
                listenSocket: socket
            ),
            log: { log.info($0) }
        )
        try supervisor.start()
        log.info("listening on \(socketPath): \(options.workers) workers × \(options.threads) threads, database \(configuration.databasePath)")
        while true {
            let signal = ProcessSignals.wait(for: ProcessSignals.termination + [ProcessSignals.reload])
            guard signal == ProcessSignals.reload else {
                log.info("signal \(signal): draining workers")
                break
            }
            // Settings the new workers will read: refuse the reload, not the service, if broken.
            do {
                _ = try ServiceConfiguration.from(Environment())
            } catch {
                log.error("SIGHUP: reload refused, the workers keep running: configuration: \(error)")
                continue
            }
            log.info("SIGHUP: reloading: replacing \(options.workers) workers one at a time")
            if supervisor.reload(drainSeconds: 30) { log.info("reloaded") }
        }
        supervisor.stop(drainSeconds: 30)
        do {
            try socket.close()
            try FastCGISocket.removeSocketFile(socketPath)
        } catch {
            log.warning("cleaning up the socket: \(error)")
        }
        log.info("stopped")
    }
}
