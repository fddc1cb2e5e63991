import Dintero
import FastCGI
import HTTPClient
import HTTPKit
import Foundation
import ProcessSupervision
import ServiceSupport
import Synchronization

/// Supervisor mode: migrates the database once, owns the socket, runs the worker processes.
enum Supervisor {
    static func run(options: WorkerOptions, socketPath: String, configuration: ServiceConfiguration, log: Logger) throws {
        // Exactly one process (this one) migrates before any worker opens the database (with
        // PostgreSQL, the first host to start does; the others find nothing left to do).
        try configuration.storage.migrate()
        log.log(.info, "starting", configuration.summary)
        configuration.logSecurityWarnings(log)
        // The sweeper's own Dintero client (reconciliation), separate from the workers'.
        let gateway = DinteroClient(configuration: configuration.dintero, transport: URLSessionTransport(), log: log)
        Sweeper.start(configuration: configuration, gateway: gateway, log: log)
        if let path = configuration.storage.sqlitePath {
            Checkpointer.start(databasePath: path, interval: configuration.walCheckpointInterval, restartBytes: configuration.walRestartBytes, log: log)
        }

        let socket = try FastCGISocket.listen(path: socketPath, mode: mode_t(options.socketMode))
        let board = try StatusBoard(directory: options.statusDirectory ?? socketPath + ".status")
        try board.clear()
        // Termination handlers may run on several threads at once; retire one worker at a time.
        let retiring = Mutex(())
        let cpus = cpuPlan(options: options, log: log)
        let supervisor = WorkerSupervisor(
            configuration: .init(
                executable: Bundle.main.executablePath ?? CommandLine.arguments[0],
                arguments: ["--child", "--threads", String(options.threads), "--status-dir", board.directory],
                workers: options.workers,
                listenSocket: socket,
                cpus: cpus,
                environment: cpus == nil ? [:] : Jemalloc.pinnedWorkerEnvironment
            ),
            log: { log.info($0) },
            onExit: { pid in retiring.withLock { _ in board.retire(pid: pid) } }
        )
        try supervisor.start()
        let lastReload = Mutex<ReloadOutcome?>(nil)
        publishReports(of: supervisor, options: options, to: board, lastReload: { lastReload.withLock { $0 } }, log: log)
        log.info("listening on \(socketPath): \(options.workers) workers × \(options.threads) threads, database \(configuration.storage)")
        while true {
            let signal = ProcessSignals.wait(for: ProcessSignals.termination + [ProcessSignals.reload])
            guard signal == ProcessSignals.reload else {
                log.info("signal \(signal): draining workers")
                break
            }
            // Settings the new workers will read: refuse the reload, not the service, if broken.
            // Either outcome is published (/status, /readyz), so a refusal is never silent.
            let asked = Date().timeIntervalSince1970
            do {
                _ = try ServiceConfiguration.from(Environment())
            } catch {
                log.error("SIGHUP: reload refused, the workers keep running: configuration: \(error)")
                lastReload.withLock { $0 = ReloadOutcome(at: asked, succeeded: false, error: "configuration: \(error)") }
                continue
            }
            log.info("SIGHUP: reloading: replacing \(options.workers) workers one at a time")
            let reloaded = supervisor.reload(drainSeconds: 30)
            if reloaded { log.info("reloaded") }
            lastReload.withLock {
                $0 = ReloadOutcome(at: asked, succeeded: reloaded, error: reloaded ? nil : "a new worker exited at once; see the log")
            }
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

    /// The CPU of each worker slot, or nil (logged either way).
    private static func cpuPlan(options: WorkerOptions, log: Logger) -> [Int32]? {
        guard options.cpuAffinity else {
            log.info("CPU affinity off (WORKER_CPU_AFFINITY=off)")
            return nil
        }
        let allowed: [Int32]
        do {
            allowed = try ProcessScheduling.allowedCPUs()
        } catch {
            log.warning("CPU affinity: workers not pinned: \(error)")
            return nil
        }
        guard let plan = ProcessScheduling.plan(workers: options.workers, allowed: allowed) else {
            log.info("CPU affinity: workers not pinned (\(options.workers) workers do not divide evenly over \(allowed.count) CPU\(allowed.count == 1 ? "" : "s"))")
            return nil
        }
        log.info("CPU affinity: workers pinned to CPUs \(plan.map(String.init).joined(separator: ", ")) by slot")
        return plan
    }

    /// Publishes the supervisor's report every second on a thread of its own.
    private static func publishReports(
        of supervisor: WorkerSupervisor, options: WorkerOptions, to board: StatusBoard,
        lastReload: @escaping @Sendable () -> ReloadOutcome?, log: Logger
    ) {
        let startedAt = Date().timeIntervalSince1970
        board.keepPublishing(every: 1, what: "the supervisor's status report", log: log) { board in
            let statistics = supervisor.statistics
            try board.publish(SupervisorReport(
                pid: getpid(), startedAt: startedAt, takenAt: Date().timeIntervalSince1970,
                configuredWorkers: options.workers, threadsPerWorker: options.threads,
                workers: statistics.workers, restarts: statistics.restarts, reloads: statistics.reloads,
                lastReload: lastReload()
            ))
        }
    }
}
