/// Counters, gauges and histograms of one process (or the sum of several), keyed by series:
/// a metric name with its labels in Prometheus syntax, e.g. `requests_total{status="200"}`.
///
/// Snapshots are plain `Codable` values so that worker processes can publish theirs (see the
/// status board) and any process can add them up: counters and histograms add, gauges add too
/// (busy threads of two workers are the busy threads of the service).
public struct MetricsSnapshot: Codable, Sendable, Equatable {
    /// Monotonic counts, by series.
    public var counters: [String: Double] = [:]
    /// Values that go up and down, by series.
    public var gauges: [String: Double] = [:]
    /// Distributions, by series (without the `_bucket`/`_sum`/`_count` suffixes).
    public var histograms: [String: Histogram] = [:]

    /// An empty snapshot.
    public init() {}

    /// Adds `other` into this snapshot.
    public mutating func merge(_ other: MetricsSnapshot) {
        counters.merge(other.counters, uniquingKeysWith: +)
        gauges.merge(other.gauges, uniquingKeysWith: +)
        for (series, histogram) in other.histograms {
            if var mine = histograms[series], mine.bounds == histogram.bounds {
                mine.add(histogram)
                histograms[series] = mine
            } else if histograms[series] == nil {
                histograms[series] = histogram
            }
        }
    }

    /// The sum of every counter series of metric `name`, whatever its labels.
    public func total(of name: String) -> Double {
        counters.reduce(0) { sum, entry in MetricSeries.name(of: entry.key) == name ? sum + entry.value : sum }
    }
}

/// A fixed-bucket histogram: `counts[i]` observations were ≤ `bounds[i]` and above the bound
/// before it; the last count is above every bound (`+Inf`).
public struct Histogram: Codable, Sendable, Equatable {
    /// Upper bounds of the buckets, ascending.
    public let bounds: [Double]
    /// Observations per bucket (not cumulative); one more than `bounds`.
    public private(set) var counts: [UInt64]
    /// Sum of all observed values.
    public private(set) var sum: Double = 0

    /// Latency buckets in seconds, 1 ms to 10 s (Prometheus' client defaults plus finer low end).
    public static let latencyBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// An empty histogram.
    public init(bounds: [Double] = Histogram.latencyBounds) {
        self.bounds = bounds
        self.counts = Array(repeating: 0, count: bounds.count + 1)
    }

    /// Number of observations.
    public var count: UInt64 { counts.reduce(0, +) }

    /// Records one value.
    public mutating func observe(_ value: Double) {
        var index = 0
        while index < bounds.count, value > bounds[index] { index += 1 }
        counts[index] += 1
        sum += value
    }

    /// Adds another histogram with the same bounds.
    public mutating func add(_ other: Histogram) {
        precondition(bounds == other.bounds, "histograms with different buckets")
        for index in counts.indices { counts[index] += other.counts[index] }
        sum += other.sum
    }
}
