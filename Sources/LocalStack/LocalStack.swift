import Foundation
import HTTPClient
import HTTPKit
import ServiceSupport

/// The whole service on loopback: nginx, the worker supervisor and (without Dintero
/// credentials) the Dintero sandbox. Used by `make run` and by the integration tests, so the
/// tests drive exactly what a merchant runs.
///
/// Every process is started here and stopped by its own pid.
public final class LocalStack: @unchecked Sendable {
    /// What to start.
    public struct Configuration: Sendable {
        /// Directory for sockets, logs, the database and nginx's files (created if missing).
        public var runDirectory: String
        /// Directory with the built `payments-worker` and `dintero-sandbox`.
        public var binDirectory: String
        /// The repository's `nginx/` directory.
        public var nginxDirectory: String
        /// Loopback port of the service.
        public var port: Int
        /// Loopback port of the sandbox; nil runs without it (real Dintero).
        public var sandboxPort: Int?
        /// Worker processes and accept threads per worker; nil leaves it to the worker's own
        /// `WORKERS`/`THREADS` settings (read from the environment it inherits).
        public var workers: Int?
        public var threads: Int?
        /// Host name in the URLs handed to shoppers.
        public var publicHost: String
        /// Extra environment for the workers (overrides).
        public var workerEnvironment: [String: String]
        /// Extra environment for the sandbox.
        public var sandboxEnvironment: [String: String]
        /// nginx access log path or "off".
        public var accessLog: String?
        /// Worker supervisors, each as one application host would run it (its own socket and
        /// status directory, the same database); nginx balances over all of them. The first is
        /// `payments-worker`, the others `payments-worker-2`, ... in ``LocalStack/pids``.
        public var hosts: Int = 1

        /// Creates a configuration.
        public init(
            runDirectory: String, binDirectory: String, nginxDirectory: String, port: Int, sandboxPort: Int?,
            workers: Int? = nil, threads: Int? = nil, publicHost: String = "127.0.0.1",
            workerEnvironment: [String: String] = [:], sandboxEnvironment: [String: String] = [:], accessLog: String? = nil,
            hosts: Int = 1
        ) {
            self.runDirectory = runDirectory
            self.binDirectory = binDirectory
            self.nginxDirectory = nginxDirectory
            self.port = port
            self.sandboxPort = sandboxPort
            self.workers = workers
            self.threads = threads
            self.publicHost = publicHost
            self.workerEnvironment = workerEnvironment
            self.sandboxEnvironment = sandboxEnvironment
            self.accessLog = accessLog
            self.hosts = hosts
        }
    }

    /// A failure to start; the message says which part and where its log is.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
        /// The exit status of the part that exited while the stack started, if one did.
        public var exitStatus: Int32?
    }

    public let configuration: Configuration
    private var processes: [(name: String, process: Process)] = []
    private let lock = NSLock()

    /// Creates the stack; nothing runs until ``start()``.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The service's base URL.
    public var baseURL: String { "http://\(configuration.publicHost):\(configuration.port)" }
    /// The sandbox's base URL, when it runs.
    public var sandboxURL: String? { configuration.sandboxPort.map { "http://127.0.0.1:\($0)" } }
    /// The SQLite database file.
    public var databasePath: String { path("orders.sqlite") }
    /// A file in the run directory.
    public func path(_ name: String) -> String { "\(configuration.runDirectory)/\(name)" }

    /// Pids of the processes this stack started, by name.
    public var pids: [String: Int32] {
        lock.withLock { Dictionary(processes.map { ($0.name, $0.process.processIdentifier) }, uniquingKeysWith: { a, _ in a }) }
    }

    /// Starts sandbox, workers and nginx, and waits until the service answers.
    public func start(timeout: TimeInterval = 30) throws {
        let run = configuration.runDirectory
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        // A port already taken would let the readiness probe below reach whatever holds it.
        for (name, port) in [("PORT", configuration.port), ("SANDBOX_PORT", configuration.sandboxPort)] {
            if let port, !Self.isFree(port) {
                throw StartError(description: "127.0.0.1:\(port) is in use (another make run?); choose another with \(name)=…")
            }
        }
        var sandboxSocket: String?
        var workerEnvironment = ProcessInfo.processInfo.environment
        workerEnvironment["ORDERS_DB"] = databasePath
        workerEnvironment["PUBLIC_BASE_URL"] = baseURL
        workerEnvironment["FCGI_SOCKET_MODE"] = "666"
        if let sandboxURL {
            sandboxSocket = path("sandbox.sock")
            var environment = ProcessInfo.processInfo.environment
            environment["SANDBOX_PUBLIC_URL"] = sandboxURL
            environment.merge(configuration.sandboxEnvironment) { _, new in new }
            try launch("dintero-sandbox", executable: "\(configuration.binDirectory)/dintero-sandbox",
                       arguments: ["--socket", sandboxSocket!, "--threads", "64"], environment: environment)
            workerEnvironment["DINTERO_API_URL"] = sandboxURL
            workerEnvironment["DINTERO_CHECKOUT_URL"] = sandboxURL
            if workerEnvironment["PROVIDER_URL"] == nil { workerEnvironment["PROVIDER_URL"] = "\(sandboxURL)/provider" }
        }
        workerEnvironment.merge(configuration.workerEnvironment) { _, new in new }
        var workerSockets: [String] = []
        for host in 1...max(1, configuration.hosts) {
            let suffix = host == 1 ? "" : "-\(host)"
            let workerSocket = path("worker\(suffix).sock")
            var workerArguments = ["--socket", workerSocket]
            if let workers = configuration.workers { workerArguments += ["--workers", String(workers)] }
            if let threads = configuration.threads { workerArguments += ["--threads", String(threads)] }
            try launch("payments-worker\(suffix)", executable: "\(configuration.binDirectory)/payments-worker",
                       arguments: workerArguments, environment: workerEnvironment)
            workerSockets.append(workerSocket)
        }
        for workerSocket in workerSockets {
            try waitFor(timeout: timeout, what: "worker socket") { FileManager.default.fileExists(atPath: workerSocket) }
        }
        if let sandboxSocket {
            try waitFor(timeout: timeout, what: "sandbox socket") { FileManager.default.fileExists(atPath: sandboxSocket) }
        }

        let nginxPrefix = path("nginx")
        var renderEnvironment = ProcessInfo.processInfo.environment
        renderEnvironment["NGINX_PREFIX"] = nginxPrefix
        renderEnvironment["NGINX_PORT"] = String(configuration.port)
        renderEnvironment["FCGI_SOCKET"] = workerSockets.joined(separator: " ")
        renderEnvironment["ACCESS_LOG"] = configuration.accessLog
        if let sandboxSocket, let sandboxPort = configuration.sandboxPort {
            renderEnvironment["SANDBOX_SOCKET"] = sandboxSocket
            renderEnvironment["SANDBOX_PORT"] = String(sandboxPort)
        }
        let render = Process()
        render.executableURL = URL(fileURLWithPath: "/bin/bash")
        render.arguments = ["\(configuration.nginxDirectory)/render.sh"]
        render.environment = renderEnvironment
        render.standardOutput = FileHandle.nullDevice
        try render.run()
        render.waitUntilExit()
        guard render.terminationStatus == 0 else { throw StartError(description: "nginx/render.sh failed") }
        try launch("nginx", executable: Self.nginxPath(),
                   arguments: ["-c", "\(nginxPrefix)/nginx.conf", "-p", nginxPrefix, "-e", "\(nginxPrefix)/nginx-error.log"],
                   environment: ProcessInfo.processInfo.environment)
        let probe = URLSessionTransport()
        try waitFor(timeout: timeout, what: "the service at \(baseURL)/orders") {
            // 401 (an API key is configured) comes from a worker just as 200 does; nginx alone
            // answers 503 while no worker listens.
            Self.answers("http://127.0.0.1:\(configuration.port)/orders", via: probe, with: [200, 401])
        }
        if let sandboxPort = configuration.sandboxPort {
            try waitFor(timeout: timeout, what: "the sandbox") {
                Self.answers("http://127.0.0.1:\(sandboxPort)/__sandbox/stats", via: probe, with: [200])
            }
        }
    }

    /// Stops every process this stack started (SIGTERM, or SIGQUIT for nginx's graceful
    /// stop), waiting up to `timeout` before SIGKILL. Newest first.
    public func stop(timeout: TimeInterval = 35) {
        let started = lock.withLock { () -> [(name: String, process: Process)] in
            defer { processes.removeAll() }
            return processes
        }
        for (name, process) in started.reversed() where !process.hasExited {
            kill(process.processIdentifier, name == "nginx" ? SIGQUIT : SIGTERM)
            if !Self.waitUntilExited(process, timeout: timeout) {
                kill(process.processIdentifier, SIGKILL)
                Self.waitUntilExited(process, timeout: 5)
            }
        }
    }

    /// Sends a signal to one named process started by this stack.
    public func signal(_ name: String, _ signal: Int32) {
        if let pid = pids[name] { kill(pid, signal) }
    }

    /// Waits up to `timeout` for a named process to exit; returns its exit status, or nil if
    /// it is still running.
    public func waitForExit(_ name: String, timeout: TimeInterval) -> Int32? {
        guard let process = lock.withLock({ processes.first { $0.name == name }?.process }) else { return nil }
        guard Self.waitUntilExited(process, timeout: timeout) else { return nil }
        return process.exitStatus ?? -1
    }

    /// Blocks until a started process exits on its own; returns its name.
    public func waitForAnyExit() -> String {
        while true {
            if let exited = lock.withLock({ processes.first { $0.process.hasExited }?.name }) { return exited }
            usleep(200_000)
        }
    }

    deinit {
        stop(timeout: 5)
    }

    private func launch(_ name: String, executable: String, arguments: [String], environment: [String: String]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw StartError(description: "\(executable) not found; build first (swift build)")
        }
        // Appended to, never emptied: a failed start's log is still there after the next one.
        let logPath = path("\(name).log")
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        lock.withLock { processes.append((name, process)) }
    }

    private func waitFor(timeout: TimeInterval, what: String, _ ready: () -> Bool) throws {
        let deadline = Deadline(secondsFromNow: timeout)
        while !deadline.hasPassed {
            if ready() { return }
            if let dead = lock.withLock({ processes.first { $0.process.hasExited } }) {
                let status = dead.process.exitStatus
                throw StartError(
                    description: "\(dead.name) exited with status \(status.map(String.init) ?? "unknown") while waiting for \(what); \(lastWords(of: dead.name))",
                    exitStatus: status
                )
            }
            usleep(50_000)
        }
        throw StartError(description: "timed out after \(Int(timeout)) s waiting for \(what); logs are in \(configuration.runDirectory)")
    }

    private static func answers(_ url: String, via transport: URLSessionTransport, with statuses: Set<Int>) -> Bool {
        guard let response = try? transport.send(TransportRequest(method: "GET", url: url, timeout: 2)) else { return false }
        return statuses.contains(response.status.code)
    }

    /// Where a part's log is and its last lines: the reason a part stopped is usually the last
    /// thing it said, so it is shown, not just where it is.
    public func lastWords(of name: String) -> String {
        let logPath = path("\(name).log")
        let said = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
            .split(separator: "\n").suffix(5).map { "  | \($0)" }.joined(separator: "\n")
        return "see \(logPath)\(said.isEmpty ? "" : ":\n" + said)"
    }

    /// Polls until `process` has exited (reaped or not) or `timeout` passes.
    @discardableResult
    private static func waitUntilExited(_ process: Process, timeout: TimeInterval) -> Bool {
        let deadline = Deadline(secondsFromNow: timeout)
        while !process.hasExited, !deadline.hasPassed { usleep(20_000) }
        return process.hasExited
    }

    /// True when nothing listens on 127.0.0.1:`port` (a bind succeeds).
    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func nginxPath() -> String {
        for candidate in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/sbin/nginx"
    }
}
