import Foundation
import HTTPKit
import PaymentsDomain
import ProcessSupervision
import ServiceSupport

/// The operator's endpoints, php-fpm's `ping.path` and `pm.status_path` and more. No API key:
/// nginx allows them from loopback (or an allow-list) only, see `nginx/payments.internal`.
///
/// - `GET /healthz`: liveness; this worker thread answers.
/// - `GET /readyz`: readiness; 503 unless the database takes a write. Workers missing or a
///   circuit open makes it `degraded` (still 200: every host shares Dintero, so taking this one
///   out of the pool would not help anyone).
/// - `GET /status`: the php-fpm-like status page, as JSON.
/// - `GET /metrics`: Prometheus text.
///
/// Whole-service figures come from the ``StatusBoard``: the reports other workers published
/// within the last second, this worker's own figures live.
struct OperationsController {
    let monitor: WorkerMonitor
    let health: StoreHealth
    let storage: Storage
    let listenQueue: @Sendable () -> (waiting: Int, limit: Int)?
    let clock: WallClock

    /// A worker whose last report is older than this counts as not running.
    static let staleReportSeconds = 5.0

    func register(on router: inout Router) {
        router.group("") { group in
            group.on(.get, "/healthz") { _, _ in
                .json(.object([("status", .string("ok")), ("pid", .int(Int(getpid())))]))
            }
            group.on(.get, "/readyz") { _, _ in readiness() }
            group.on(.get, "/status") { _, _ in .json(status(view())) }
            group.on(.get, "/metrics") { _, _ in
                HTTPResponse(
                    status: .ok,
                    headers: [("Content-Type", PrometheusExposition.contentType), ("Cache-Control", "no-store")],
                    body: Array(ServiceMetrics.exposition.render(metrics(view())).utf8)
                )
            }
        }
    }

    /// Everything the three whole-service answers are computed from, read once per request.
    struct View {
        var supervisor: SupervisorReport?
        /// Running workers with fresh reports, this one included.
        var workers: [WorkerReport]
        var retired: MetricsSnapshot
        var configuredWorkers: Int
        var listenQueue: (waiting: Int, limit: Int)?
        var walBytes: Int?
        var databaseBytes: Int?
    }

    func view() -> View {
        let own = monitor.report()
        let contents = monitor.board?.read(exceptPID: own.pid)
        let fresh = (contents?.workers ?? []).filter { own.takenAt - $0.takenAt <= Self.staleReportSeconds }
        return View(
            supervisor: contents?.supervisor,
            workers: (fresh + [own]).sorted { $0.pid < $1.pid },
            retired: contents?.retired ?? MetricsSnapshot(),
            configuredWorkers: contents?.supervisor?.configuredWorkers ?? 1,
            listenQueue: listenQueue(),
            walBytes: storage.sqlitePath.map { Self.fileSize($0 + "-wal") ?? 0 },
            databaseBytes: storage.sqlitePath.flatMap { Self.fileSize($0) }
        )
    }

    private func readiness() -> HTTPResponse {
        let current = view()
        var checks: [(String, JSONValue)] = []
        var ready = true
        var degraded = false
        do {
            try health.checkWritable(by: ProcessIdentity.current, at: clock.now().epochMilliseconds)
            checks.append(("database", .object([("status", .string("ok"))])))
        } catch {
            ready = false
            checks.append(("database", .object([("status", .string("failing")), ("detail", .string("not writable: \(error)"))])))
        }
        let running = current.workers.count
        degraded = degraded || running < current.configuredWorkers
        checks.append(("workers", .object([
            ("status", .string(running < current.configuredWorkers ? "degraded" : "ok")),
            ("running", .int(running)), ("configured", .int(current.configuredWorkers)),
        ])))
        for (target, state) in Self.worstCircuits(current.workers).sorted(by: { $0.key < $1.key }) {
            degraded = degraded || state != "closed"
            checks.append((target, .object([("status", .string(state == "closed" ? "ok" : "degraded")), ("circuit", .string(state))])))
        }
        // A refused reload leaves the old workers serving, but the operator's change is not in
        // effect: degraded until a reload succeeds.
        if let reload = current.supervisor?.lastReload, !reload.succeeded {
            degraded = true
            checks.append(("reload", .object([("status", .string("failing")), ("detail", .string(reload.error ?? "refused"))])))
        }
        let verdict = !ready ? "not_ready" : degraded ? "degraded" : "ready"
        return .json(.object([("status", .string(verdict)), ("checks", .object(checks))]), status: ready ? .ok : .serviceUnavailable)
    }

    private static func json(_ reload: ReloadOutcome) -> JSONValue {
        .object([
            ("at", .string(iso(reload.at))), ("outcome", .string(reload.succeeded ? "reloaded" : "refused")),
            ("error", reload.error.map(JSONValue.string) ?? .null),
        ])
    }

    func status(_ view: View) -> JSONValue {
        let now = Date().timeIntervalSince1970
        let threads = view.workers.reduce(0) { $0 + $1.threads }
        let busy = view.workers.reduce(0) { $0 + $1.busyThreads }
        var members: [(String, JSONValue)] = []
        if let supervisor = view.supervisor {
            members.append(("supervisor", .object([
                ("pid", .int(Int(supervisor.pid))),
                ("started_at", .string(Self.iso(supervisor.startedAt))),
                ("uptime_seconds", .int(Int(now - supervisor.startedAt))),
                ("restarts", .int(supervisor.restarts)),
                ("reloads", .int(supervisor.reloads)),
                ("last_reload", supervisor.lastReload.map(Self.json) ?? .null),
            ])))
        }
        members += [
            ("workers", .object([("configured", .int(view.configuredWorkers)), ("running", .int(view.workers.count))])),
            ("threads", .object([("total", .int(threads)), ("busy", .int(busy)), ("idle", .int(threads - busy))])),
            ("accepted_requests", .int(Int(view.retired.counters[ServiceMetrics.acceptedRequests] ?? 0)
                + view.workers.reduce(0) { $0 + $1.acceptedRequests })),
            ("listen_queue", view.listenQueue.map { .object([("waiting", .int($0.waiting)), ("limit", .int($0.limit))]) } ?? .null),
            ("outbound", .array(Self.worstCircuits(view.workers).sorted { $0.key < $1.key }.map { target, state in
                .object([
                    ("target", .string(target)), ("circuit", .string(state)),
                    ("in_flight", .int(view.workers.reduce(0) { $0 + ($1.outboundInFlight[target] ?? 0) })),
                    ("limit", .int(view.workers.reduce(0) { $0 + ($1.outboundLimit[target] ?? 0) })),
                ])
            })),
            ("database", .object(storage.sqlitePath == nil
                ? [("engine", .string(storage.engine)), ("target", .string(storage.description))]
                : [
                    ("engine", .string(storage.engine)),
                    ("path", .string(storage.description)),
                    ("bytes", view.databaseBytes.map { .int($0) } ?? .null),
                    ("wal_bytes", .int(view.walBytes ?? 0)),
                ])),
            ("processes", .array(view.workers.map { worker in
                .object([
                    ("pid", .int(Int(worker.pid))),
                    ("started_at", .string(Self.iso(worker.startedAt))),
                    ("threads", .int(worker.threads)), ("busy", .int(worker.busyThreads)),
                    ("accepted_requests", .int(worker.acceptedRequests)),
                    ("report_age_seconds", .number(String(format: "%.1f", max(0, now - worker.takenAt)))),
                    ("circuits", .object(worker.circuits.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                ])
            })),
        ]
        return .object(members)
    }

    func metrics(_ view: View) -> MetricsSnapshot {
        var total = view.retired
        for worker in view.workers { total.merge(worker.metrics) }
        total.gauges[MetricSeries.key(ServiceMetrics.workers, ["state": "configured"])] = Double(view.configuredWorkers)
        total.gauges[MetricSeries.key(ServiceMetrics.workers, ["state": "running"])] = Double(view.workers.count)
        total.counters[ServiceMetrics.restarts] = Double(view.supervisor?.restarts ?? 0)
        total.counters[ServiceMetrics.reloads] = Double(view.supervisor?.reloads ?? 0)
        if let queue = view.listenQueue {
            total.gauges[ServiceMetrics.listenQueue] = Double(queue.waiting)
            total.gauges[ServiceMetrics.listenQueueLimit] = Double(queue.limit)
        }
        if let bytes = view.walBytes { total.gauges[ServiceMetrics.walBytes] = Double(bytes) }
        if let bytes = view.databaseBytes { total.gauges[ServiceMetrics.databaseBytes] = Double(bytes) }
        return total
    }

    /// Per target, the worst state any worker's breaker is in (open > half-open > closed).
    static func worstCircuits(_ workers: [WorkerReport]) -> [String: String] {
        let rank = ["closed": 0, "half-open": 1, "open": 2]
        var worst: [String: String] = [:]
        for worker in workers {
            for (target, state) in worker.circuits where (rank[state] ?? 0) >= (rank[worst[target] ?? "closed"] ?? 0) {
                worst[target] = state
            }
        }
        return worst
    }

    private static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    private static func iso(_ seconds: Double) -> String {
        Timestamp.iso8601(epochMilliseconds: Int64(seconds * 1_000))
    }
}
