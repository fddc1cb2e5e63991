import Foundation
import ServiceSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs N copies of a worker command on one listening socket (inherited on fd 0), restarts a
/// copy that dies, and on ``stop(drainSeconds:)`` sends SIGTERM to all and waits for them.
public final class FastCGISupervisor: Sendable {
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

        /// Creates a configuration.
        public init(executable: String, arguments: [String], workers: Int, listenSocket: FileDescriptor) {
            self.executable = executable
            self.arguments = arguments
            self.workers = workers
            self.listenSocket = listenSocket
        }
    }

    private struct State {
        var stopping = false
        var children: [Int: Process] = [:]
        var restarts = 0
    }

    private let configuration: Configuration
    private let state = Mutex(State())
    private let log: @Sendable (String) -> Void

    /// Creates a supervisor; `log` receives one line per lifecycle event.
    public init(configuration: Configuration, log: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.log = log
    }

    /// Starts every worker.
    public func start() throws {
        for slot in 0..<configuration.workers {
            try spawn(slot: slot)
        }
    }

    /// Sends SIGTERM to every worker and waits up to `drainSeconds` for them to exit, then
    /// SIGKILLs the rest.
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

    private func spawn(slot: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: configuration.executable)
        process.arguments = configuration.arguments
        process.standardInput = FileHandle(fileDescriptor: configuration.listenSocket.rawValue, closeOnDealloc: false)
        let started = Date()
        process.terminationHandler = { [self] finished in
            let stopping = state.withLock { state -> Bool in
                if state.children[slot] === finished { state.children[slot] = nil }
                return state.stopping
            }
            guard !stopping else { return }
            let reason = finished.terminationReason == .uncaughtSignal ? "signal" : "status"
            log("worker \(finished.processIdentifier) exited (\(reason) \(finished.terminationStatus)); restarting")
            // A worker that dies at once would otherwise restart in a hot loop.
            if Date().timeIntervalSince(started) < 1 { sleep(1) }
            do {
                try spawn(slot: slot)
            } catch {
                log("cannot restart worker: \(error)")
            }
        }
        try state.withLock { state in
            guard !state.stopping else { return }
            try process.run()
            state.children[slot] = process
        }
        log("worker \(process.processIdentifier) started")
    }
}
