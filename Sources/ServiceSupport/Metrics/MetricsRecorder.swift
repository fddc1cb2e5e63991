import Synchronization

/// The metrics of one process, updated from any thread.
public final class MetricsRecorder: Sendable {
    private let state = Mutex(MetricsSnapshot())

    /// An empty recorder.
    public init() {}

    /// Adds `amount` to a counter series.
    public func increment(_ series: String, by amount: Double = 1) {
        state.withLock { $0.counters[series, default: 0] += amount }
    }

    /// Sets a gauge series.
    public func set(_ series: String, to value: Double) {
        state.withLock { $0.gauges[series] = value }
    }

    /// Records one observation in a histogram series (latency buckets unless it exists already).
    public func observe(_ series: String, _ value: Double) {
        state.withLock { $0.histograms[series, default: Histogram()].observe(value) }
    }

    /// Several changes under one lock acquisition.
    public func update(_ body: (inout MetricsSnapshot) -> Void) {
        state.withLock { body(&$0) }
    }

    /// A copy of everything recorded so far.
    public var snapshot: MetricsSnapshot {
        state.withLock { $0 }
    }
}
