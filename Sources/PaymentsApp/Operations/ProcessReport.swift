import ServiceSupport

/// What one worker process publishes about itself on the status board, about once a second.
struct WorkerReport: Codable, Sendable {
    var pid: Int32
    /// Unix seconds.
    var startedAt: Double
    /// Unix seconds when this report was taken.
    var takenAt: Double
    var threads: Int
    var busyThreads: Int
    var acceptedRequests: Int
    /// Circuit state (`closed`, `open`, `half-open`) by outbound target.
    var circuits: [String: String]
    /// Outbound calls in flight, and the cap, by target.
    var outboundInFlight: [String: Int]
    var outboundLimit: [String: Int]
    /// Counters and histograms (requests, latencies, outbound calls, SQLite busy retries) and
    /// the gauges that add up across processes.
    var metrics: MetricsSnapshot
}

/// What the supervisor publishes: the worker processes it runs and what happened to them.
struct SupervisorReport: Codable, Sendable {
    var pid: Int32
    var startedAt: Double
    var takenAt: Double
    var configuredWorkers: Int
    var threadsPerWorker: Int
    var workers: [Int32]
    var restarts: Int
    var reloads: Int
    /// The last SIGHUP's outcome, if there was one.
    var lastReload: ReloadOutcome?
}

/// What became of a reload request (SIGHUP), for `/status`, `/readyz` and `make reload`.
struct ReloadOutcome: Codable, Sendable, Equatable {
    /// Unix seconds when the reload was asked for.
    var at: Double
    /// True when the workers were replaced; false when the reload was refused and the old
    /// workers kept serving.
    var succeeded: Bool
    /// Why it was refused.
    var error: String?
}
