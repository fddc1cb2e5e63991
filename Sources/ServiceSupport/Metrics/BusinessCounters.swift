import Synchronization

/// What the business did in this process, counted where it happens (orders by new status,
/// operations by outcome, amounts by currency, refusals) and reported with the request metrics.
/// Process-wide: every thread adds to it; the worker's monitor reads it once a second.
public enum BusinessCounters {
    private static let counters = Mutex<[String: Double]>([:])

    /// Adds `value` to the series `name{labels}`.
    public static func add(_ name: String, _ labels: KeyValuePairs<String, String> = [:], _ value: Double = 1) {
        let series = MetricSeries.key(name, labels)
        counters.withLock { $0[series, default: 0] += value }
    }

    /// Every series so far.
    public static var snapshot: [String: Double] { counters.withLock { $0 } }
}
