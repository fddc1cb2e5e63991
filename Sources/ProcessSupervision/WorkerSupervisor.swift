import Foundation
import ServiceSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs N copies of a worker command on one listening socket (inherited on fd 0), restarts a
/// copy that dies, and on ``stop(drainSeconds:)`` sends SIGTERM to all and waits for them.
public final class WorkerSupervisor: Sendable {
    /// What to run and how many.
    public struct Configuration: Sendable {
        /// The executable of each worker.
        public var executable: String
        /// Its arguments.
        public var arguments: [String]
        /// How many worker processes.
        public var workers: Int
        /// The listening socket handed to every worker as fd 0.
        public var listenSocket: FileDescriptor
        /// The CPU of each worker slot (``ProcessScheduling/plan(workers:allowed:)``), handed to the
        /// worker in ``ProcessScheduling/assignmentVariable``; nil leaves the workers unpinned.
        public var cpus: [Int32]?
        /// Variables added to every worker's environment, where the supervisor's own has none
        /// of that name.
        public var environment: [String: String]

        /// Creates a configuration.
        public init(
            executable: String, arguments: [String], workers: Int, listenSocket: FileDescriptor, cpus: [Int32]? = nil,
            environment: [String: String] = [:]
        ) {
            self.executable = executable
            self.arguments = arguments
            self.workers = workers
            self.listenSocket = listenSocket
            self.cpus = cpus
            self.environment = environment
        }
    }

    private struct State {
        var stopping = false
        var children: [Int: Process] = [:]
        /// Replacements still proving they start; their exit is not restarted.
        var probation: Set<ObjectIdentifier> = []
        /// Replaced workers draining; their exit is not restarted.
        var retired: Set<ObjectIdentifier> = []
        var restarts = 0
        var reloads = 0
    }

    /// The workers now, and what happened to them so far (for status pages and metrics).
    public struct Statistics: Sendable {
        /// Process ids of the current workers, by slot.
        public var workers: [Int32]
        /// Workers started again after they died.
        public var restarts: Int
        /// Completed reloads.
        public var reloads: Int
    }

    private let configuration: Configuration
    private let state = Mutex(State())
    private let log: @Sendable (String) -> Void
    private let onExit: @Sendable (Int32) -> Void

    /// Creates a supervisor; `log` receives one line per lifecycle event, `onExit` the pid of
    /// every worker process that ended (for whatever reason).
    public init(configuration: Configuration, log: @escaping @Sendable (String) -> Void, onExit: @escaping @Sendable (Int32) -> Void = { _ in }) {
        self.configuration = configuration
        self.log = log
        self.onExit = onExit
    }

    /// The current workers and counts.
    public var statistics: Statistics {
        state.withLock { state in
            Statistics(
                workers: state.children.keys.sorted().compactMap { state.children[$0]?.processIdentifier },
                restarts: state.restarts,
                reloads: state.reloads
            )
        }
    }

    /// Starts every worker.
    public func start() throws {
        for slot in 0..<configuration.workers {
            try spawn(slot: slot)
        }
    }

    /// Sends SIGTERM to every worker and waits up to `drainSeconds` for them to exit, then
    /// SIGKILLs the rest. (Call after any ``reload(settleSeconds:drainSeconds:)`` returned.)
    public func stop(drainSeconds: Double) {
        let children = state.withLock { state -> [Process] in
            state.stopping = true
            return Array(state.children.values)
        }
        for child in children where child.isRunning {
            kill(child.processIdentifier, SIGTERM)
        }
        children.waitForExit(timeout: drainSeconds)
        for child in children where child.isRunning {
            log("worker \(child.processIdentifier) did not drain in \(drainSeconds)s; killing it")
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
    }

    /// Replaces every worker with a fresh process of `executable` (so a binary deployed since
    /// start is picked up, and settings files are read again), one slot at a time: the new
    /// worker starts on the same socket, and once it has run for `settleSeconds` the old one
    /// gets SIGTERM and drains its in-flight requests. No request is refused meanwhile: both
    /// accept on the one socket. Returns false, keeping the old workers, if a new one exits
    /// while settling (a broken binary or setting).
    @discardableResult
    public func reload(settleSeconds: Double = 0.5, drainSeconds: Double) -> Bool {
        let slots = state.withLock { $0.children.keys.sorted() }
        for slot in slots {
            guard let old = state.withLock({ $0.children[slot] }) else { continue }
            let replacement: Process
            do {
                replacement = try spawn(slot: slot, onProbation: true)
            } catch {
                log("reload stopped: cannot start a new worker: \(error)")
                return false
            }
            if replacement.waitForExit(timeout: settleSeconds) {
                log("reload stopped: new worker \(replacement.processIdentifier) exited at once (status \(replacement.terminationStatus)); the old workers keep serving")
                return false
            }
            state.withLock { state in
                state.probation.remove(ObjectIdentifier(replacement))
                state.retired.insert(ObjectIdentifier(old))
                state.children[slot] = replacement
            }
            kill(old.processIdentifier, SIGTERM)
            if !old.waitForExit(timeout: drainSeconds) {
                log("worker \(old.processIdentifier) did not drain in \(drainSeconds)s; killing it")
                kill(old.processIdentifier, SIGKILL)
            }
            log("worker \(old.processIdentifier) replaced by \(replacement.processIdentifier)")
        }
        state.withLock { $0.reloads += 1 }
        return true
    }

    @discardableResult
    private func spawn(slot: Int, onProbation: Bool = false) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: configuration.executable)
        process.arguments = configuration.arguments
        process.standardInput = FileHandle(fileDescriptor: configuration.listenSocket.rawValue, closeOnDealloc: false)
        // The slot's CPU, and never an assignment inherited from whoever started the supervisor.
        var environment = ProcessInfo.processInfo.environment.merging(configuration.environment) { own, _ in own }
        environment[ProcessScheduling.assignmentVariable] = configuration.cpus.flatMap { $0.isEmpty ? nil : String($0[slot % $0.count]) }
        process.environment = environment
        let started = ContinuousClock.now
        process.terminationHandler = { [self] finished in
            onExit(finished.processIdentifier)
            let restart = state.withLock { state -> Bool in
                let id = ObjectIdentifier(finished)
                // Replaced or still proving itself during a reload: the reload decides.
                if state.retired.remove(id) != nil || state.probation.remove(id) != nil { return false }
                if state.children[slot] === finished { state.children[slot] = nil }
                if !state.stopping { state.restarts += 1 }
                return !state.stopping
            }
            guard restart else { return }
            let reason = finished.terminationReason == .uncaughtSignal ? "signal" : "status"
            log("worker \(finished.processIdentifier) exited (\(reason) \(finished.terminationStatus)); restarting")
            // A worker that dies at once would otherwise restart in a hot loop.
            if secondsSince(started) < 1 { sleep(1) }
            do {
                try spawn(slot: slot)
            } catch {
                log("cannot restart worker: \(error)")
            }
        }
        try state.withLock { state in
            guard !state.stopping else { return }
            try process.run()
            if onProbation {
                state.probation.insert(ObjectIdentifier(process))
            } else {
                state.children[slot] = process
            }
        }
        log("worker \(process.processIdentifier) started")
        return process
    }
}
