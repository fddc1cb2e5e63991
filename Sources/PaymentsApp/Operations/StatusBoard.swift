import Foundation
import ServiceSupport

/// A directory where the supervisor and every worker process publish their reports, so any
/// worker can answer `/status` and `/metrics` for the whole service (php-fpm keeps the same
/// kind of scoreboard in shared memory):
///
///     supervisor.json        the supervisor's report (workers, restarts, reloads)
///     worker-<pid>.json      each worker's report, rewritten about once a second
///     retired.json           counters and histograms of workers that have exited
///
/// Files are replaced by rename, so a reader never sees half a report. When a worker exits,
/// the supervisor adds its last counters to `retired.json` before removing its file, so the
/// service's counters never go backwards across restarts and reloads.
struct StatusBoard: Sendable {
    /// What a reader sees.
    struct Contents {
        var supervisor: SupervisorReport?
        /// Reports of the supervisor's current workers (or of every live process without one).
        var workers: [WorkerReport]
        var retired: MetricsSnapshot
    }

    let directory: String

    /// Creates the directory if needed.
    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Removes every report (the supervisor does this at start: old pids mean nothing now).
    func clear() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".json") {
            try? FileManager.default.removeItem(atPath: path(name))
        }
    }

    func publish(_ report: WorkerReport) throws {
        try write(report, to: "worker-\(report.pid).json")
    }

    func publish(_ report: SupervisorReport) throws {
        try write(report, to: "supervisor.json")
    }

    /// Calls `publish` every `interval` seconds on a thread of its own, for as long as the
    /// process lives; a failure (a full or vanished directory) is logged once, not every time.
    func keepPublishing(every interval: Double, what: String, log: Logger, _ publish: @escaping @Sendable (StatusBoard) throws -> Void) {
        Thread.detachNewThread {
            var failing = false
            while true {
                do {
                    try publish(self)
                    failing = false
                } catch {
                    if !failing { log.warning("cannot publish \(what): \(error)") }
                    failing = true
                }
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }

    /// Folds an exited worker's last counters into `retired.json` and removes its report.
    /// Only the supervisor calls this, from one thread at a time.
    func retire(pid: Int32) {
        let name = "worker-\(pid).json"
        guard let report = read(WorkerReport.self, from: name) else { return }
        var retired = read(MetricsSnapshot.self, from: "retired.json") ?? MetricsSnapshot()
        var counted = report.metrics
        counted.gauges = [:]  // a gone process is busy with nothing
        retired.merge(counted)
        try? write(retired, to: "retired.json")
        try? FileManager.default.removeItem(atPath: path(name))
    }

    /// The current reports; `exceptPID`'s own (stale) file is left out, the caller adds a fresh one.
    func read(exceptPID: Int32? = nil) -> Contents {
        let supervisor = read(SupervisorReport.self, from: "supervisor.json")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var workers: [WorkerReport] = []
        for name in names where name.hasPrefix("worker-") && name.hasSuffix(".json") {
            guard let report = read(WorkerReport.self, from: name), report.pid != exceptPID else { continue }
            let current = supervisor.map { $0.workers.contains(report.pid) } ?? ProcessIdentity.isAlive(pid: report.pid)
            if current { workers.append(report) }
        }
        return Contents(
            supervisor: supervisor,
            workers: workers.sorted { $0.pid < $1.pid },
            retired: read(MetricsSnapshot.self, from: "retired.json") ?? MetricsSnapshot()
        )
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func write(_ value: some Encodable, to name: String) throws {
        let temporary = path(".\(name).\(getpid()).tmp")
        try JSONEncoder().encode(value).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path(name)) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename \(temporary): \(String(cString: strerror(code)))"])
        }
    }

    private func read<T: Decodable>(_ type: T.Type, from name: String) -> T? {
        guard let data = FileManager.default.contents(atPath: path(name)) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }
}
