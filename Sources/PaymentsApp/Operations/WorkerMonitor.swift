import FastCGI
import Foundation
import HTTPClient
import HTTPKit
import ServiceSupport
import SQLite
import Synchronization

/// One worker process's view of itself: request metrics recorded by the accept threads, the
/// accept threads' state, the outbound guards, and the report it publishes on the status board.
final class WorkerMonitor: Sendable {
    /// Per-request figures by method, route and status; turned into series only when a report
    /// is taken (once a second), not on every request.
    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private let requests = Mutex<[RequestKey: Histogram]>([:])
    let startedAt = Date().timeIntervalSince1970
    let guards: [GuardedTransport]
    let board: StatusBoard?
    private let server = Mutex<FastCGIServer?>(nil)
    private let pool = Mutex<(@Sendable () -> BlockingWorkPool<Router>.Snapshot)?>(nil)

    init(guards: [GuardedTransport], board: StatusBoard?) {
        self.guards = guards
        self.board = board
    }

    /// The server whose threads this monitor reports (set once it exists).
    func attach(_ server: FastCGIServer) {
        self.server.withLock { $0 = server }
    }

    /// The pool that answers parked requests (set once it exists).
    func attach(_ pool: BlockingWorkPool<Router>) {
        self.pool.withLock { $0 = { pool.snapshot } }
    }

    /// Records one served request (called on the accept thread).
    func observe(_ request: FastCGIServer.CompletedRequest) {
        // Methods nginx passes are a handful; anything else is one label value, not many.
        let method = Self.knownMethods.contains(request.method) ? request.method : "OTHER"
        let key = RequestKey(method: method, route: request.route ?? "unmatched", status: request.status)
        requests.withLock { $0[key, default: Histogram()].observe(request.seconds) }
    }

    /// The request counters and latency histograms as series.
    private func requestMetrics() -> MetricsSnapshot {
        var metrics = MetricsSnapshot()
        for (key, histogram) in requests.withLock({ $0 }) {
            let counter = MetricSeries.key(ServiceMetrics.requests, ["method": key.method, "route": key.route, "status": String(key.status)])
            metrics.counters[counter, default: 0] += Double(histogram.count)
            let series = MetricSeries.key(ServiceMetrics.requestDuration, ["method": key.method, "route": key.route])
            if var existing = metrics.histograms[series] {
                existing.add(histogram)
                metrics.histograms[series] = existing
            } else {
                metrics.histograms[series] = histogram
            }
        }
        return metrics
    }

    private static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// This process now.
    func report() -> WorkerReport {
        let statistics = server.withLock { $0?.statistics }
        let (threads, busy, accepted) = (statistics?.threads ?? 0, statistics?.busy ?? 0, statistics?.accepted ?? 0)
        var metrics = requestMetrics()
        metrics.counters[ServiceMetrics.acceptedRequests] = Double(accepted)
        metrics.counters.merge(BusinessCounters.snapshot) { _, business in business }
        metrics.counters[ServiceMetrics.sqliteBusyRetries] = Double(Connection.busyRetries)
        metrics.counters[ServiceMetrics.sqliteWALPauses] = Double(Connection.walPauses)
        metrics.counters[ServiceMetrics.urlSessionSocketActions] = Double(URLSessionTransport.SocketFix.socketActions)
        metrics.counters[ServiceMetrics.urlSessionDroppedWriteWatches] = Double(URLSessionTransport.SocketFix.droppedWriteWatches)
        metrics.gauges[MetricSeries.key(ServiceMetrics.threads, ["state": "busy"])] = Double(busy)
        metrics.gauges[MetricSeries.key(ServiceMetrics.threads, ["state": "idle"])] = Double(threads - busy)
        metrics.gauges[ServiceMetrics.parkedRequests] = Double(statistics?.parked ?? 0)
        if let outbound = pool.withLock({ $0 })?() {
            metrics.gauges[MetricSeries.key(ServiceMetrics.outboundPoolThreads, ["state": "running"])] = Double(outbound.running)
            metrics.gauges[MetricSeries.key(ServiceMetrics.outboundPoolThreads, ["state": "idle"])] = Double(outbound.idle)
            metrics.gauges[ServiceMetrics.outboundQueued] = Double(outbound.queued)
            metrics.counters[ServiceMetrics.outboundRefused] = Double(outbound.refused)
        }
        var circuits: [String: String] = [:]
        var inFlight: [String: Int] = [:]
        var limits: [String: Int] = [:]
        for guarded in guards {
            let snapshot = guarded.snapshot
            circuits[snapshot.target] = snapshot.circuit.rawValue
            inFlight[snapshot.target] = snapshot.inFlight
            limits[snapshot.target] = snapshot.maxConcurrent
            for (outcome, count) in snapshot.outcomes {
                metrics.counters[MetricSeries.key(ServiceMetrics.outbound, ["target": snapshot.target, "outcome": outcome])] = Double(count)
            }
            metrics.gauges[MetricSeries.key(ServiceMetrics.outboundInFlight, ["target": snapshot.target])] = Double(snapshot.inFlight)
            for state in [GuardedTransport.CircuitState.closed, .open, .halfOpen] {
                metrics.gauges[MetricSeries.key(ServiceMetrics.circuit, ["target": snapshot.target, "state": state.rawValue])] =
                    snapshot.circuit == state ? 1 : 0
            }
        }
        return WorkerReport(
            pid: getpid(), startedAt: startedAt, takenAt: Date().timeIntervalSince1970,
            threads: threads, busyThreads: busy, acceptedRequests: accepted,
            circuits: circuits, outboundInFlight: inFlight, outboundLimit: limits, metrics: metrics
        )
    }

    /// Publishes a report every `interval` seconds on a thread of its own.
    func startPublishing(every interval: Double, log: Logger) {
        board?.keepPublishing(every: interval, what: "this worker's status report", log: log) { [self] board in
            try board.publish(report())
        }
    }

    /// A last report after draining, so the supervisor retires this process's final counts.
    func publishFinalReport() {
        try? board?.publish(report())
    }
}
