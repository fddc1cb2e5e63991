import ServiceSupport

/// Command-line and environment options of `payments-worker`.
struct WorkerOptions {
    /// Supervisor mode: listen here and spawn workers. Nil: serve the socket inherited on fd 0.
    var socketPath: String?
    var socketMode: UInt32 = 0o660
    var workers = 2
    var threads = 16
    /// Pin each worker process to one CPU when the workers divide evenly over the CPUs
    /// (`WORKER_CPU_AFFINITY=auto`, the default; `off` never pins).
    var cpuAffinity = true
    /// Run the worker's threads under `SCHED_BATCH` (`WORKER_SCHED_POLICY=batch`, the
    /// default; `other` keeps the default policy).
    var batchScheduling = true
    /// Set by the supervisor for the processes it spawns.
    var isChild = false
    /// Where the supervisor and its workers publish status reports (`/status`, `/metrics`);
    /// the supervisor defaults it to `<socket>.status`.
    var statusDirectory: String?
    /// `backup FILE`: write a backup of the SQLite database there and exit.
    var backupPath: String?

    static let usage = """
        usage: payments-worker [--socket PATH] [--workers N] [--threads N] [--socket-mode OCTAL]
          --socket PATH      supervisor mode: listen on this unix socket, run N worker processes
                             (env FCGI_SOCKET). Without it, serve the FastCGI socket on fd 0
                             (spawn-fcgi style).
          --workers N        worker processes in supervisor mode (env WORKERS, default 2)
          --threads N        accept threads per worker, each with its own SQLite connection
                             (env THREADS, default 16; none of them waits on Dintero or the
                             card provider: such requests are parked, see OUTBOUND_CONCURRENCY)
          --socket-mode M    permissions of the socket file (env FCGI_SOCKET_MODE, default 660)
          --status-dir DIR   where processes publish the figures of /status and /metrics
                             (env STATUS_DIR, default: the socket path + ".status")
        payments-worker backup FILE
                             write a backup of the SQLite database (ORDERS_DB) to FILE while
                             the service runs, checked, then exit
        Service settings come from the environment; see docs/operations.md.
        """

    static func parse(_ arguments: [String], environment: Environment) throws -> WorkerOptions {
        var options = WorkerOptions()
        options.socketPath = environment.string("FCGI_SOCKET")
        options.workers = try environment.integer("WORKERS", default: options.workers, in: 1...64)
        options.threads = try environment.integer("THREADS", default: options.threads, in: 1...256)
        if let mode = environment.string("FCGI_SOCKET_MODE") { options.socketMode = try octal(mode) }
        options.statusDirectory = environment.string("STATUS_DIR")
        options.cpuAffinity = try environment.choice("WORKER_CPU_AFFINITY", of: ["auto", "off"], default: "auto") == "auto"
        options.batchScheduling = try environment.choice("WORKER_SCHED_POLICY", of: ["batch", "other"], default: "batch") == "batch"
        var rest = arguments.dropFirst()[...]
        func value(_ flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw ConfigurationError("\(flag) needs a value\n\(usage)") }
            return value
        }
        func count(_ flag: String, _ range: ClosedRange<Int>) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError("\(flag) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
            }
            return number
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "backup": options.backupPath = try value(flag)
            case "--socket": options.socketPath = try value(flag)
            case "--workers": options.workers = try count(flag, 1...64)
            case "--threads": options.threads = try count(flag, 1...256)
            case "--socket-mode": options.socketMode = try octal(try value(flag))
            case "--child": options.isChild = true
            case "--status-dir": options.statusDirectory = try value(flag)
            case "-h", "--help": throw ConfigurationError(usage)
            default: throw ConfigurationError("unknown option \(flag)\n\(usage)")
            }
        }
        if options.statusDirectory == nil, let socket = options.socketPath, !options.isChild {
            options.statusDirectory = socket + ".status"
        }
        return options
    }

    private static func octal(_ text: String) throws -> UInt32 {
        guard let mode = UInt32(text, radix: 8), mode <= 0o777 else {
            throw ConfigurationError("socket mode must be octal like 660, got \"\(text)\"")
        }
        return mode
    }
}
