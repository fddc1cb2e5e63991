/// Renders snapshots in the Prometheus text exposition format (version 0.0.4).
public struct PrometheusExposition: Sendable {
    /// What one metric is, for its `# HELP` and `# TYPE` lines.
    public struct Metric: Sendable {
        public enum Kind: String, Sendable { case counter, gauge, histogram }
        public var name: String
        public var kind: Kind
        public var help: String

        public init(_ name: String, _ kind: Kind, _ help: String) {
            self.name = name
            self.kind = kind
            self.help = help
        }
    }

    /// The `Content-Type` of the text format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Every metric the service may expose, in output order; series of unlisted metrics are
    /// written after them as untyped.
    public var metrics: [Metric]

    /// A renderer for `metrics`.
    public init(metrics: [Metric]) {
        self.metrics = metrics
    }

    /// The text for `snapshot`: each listed metric with HELP and TYPE, its series sorted.
    public func render(_ snapshot: MetricsSnapshot) -> String {
        var out = ""
        var listed = Set<String>()
        for metric in metrics {
            listed.insert(metric.name)
            out += "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(metric.kind.rawValue)\n"
            switch metric.kind {
            case .counter: out += lines(snapshot.counters, named: metric.name)
            case .gauge: out += lines(snapshot.gauges, named: metric.name)
            case .histogram:
                for series in snapshot.histograms.keys.filter({ MetricSeries.name(of: $0) == metric.name }).sorted() {
                    out += histogramLines(series, snapshot.histograms[series]!)
                }
            }
        }
        for (series, value) in (snapshot.counters.merging(snapshot.gauges) { a, _ in a }).sorted(by: { $0.key < $1.key })
        where !listed.contains(String(MetricSeries.name(of: series))) {
            out += "\(series) \(Self.format(value))\n"
        }
        return out
    }

    private func lines(_ values: [String: Double], named name: String) -> String {
        values.filter { MetricSeries.name(of: $0.key) == name }.sorted { $0.key < $1.key }
            .map { "\($0.key) \(Self.format($0.value))\n" }.joined()
    }

    private func histogramLines(_ series: String, _ histogram: Histogram) -> String {
        let name = MetricSeries.name(of: series)
        let labels = MetricSeries.labels(of: series).dropFirst().dropLast()
        let prefix = labels.isEmpty ? "" : "\(labels),"
        var out = ""
        var cumulative: UInt64 = 0
        for (index, bound) in histogram.bounds.enumerated() {
            cumulative += histogram.counts[index]
            out += "\(name)_bucket{\(prefix)le=\"\(Self.format(bound))\"} \(cumulative)\n"
        }
        cumulative += histogram.counts[histogram.bounds.count]
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(cumulative)\n"
        let suffix = labels.isEmpty ? "" : "{\(labels)}"
        out += "\(name)_sum\(suffix) \(Self.format(histogram.sum))\n"
        out += "\(name)_count\(suffix) \(cumulative)\n"
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
