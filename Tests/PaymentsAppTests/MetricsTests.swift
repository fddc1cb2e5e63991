import Foundation
@testable import PaymentsApp
import ServiceSupport
import Testing

@Suite struct MetricsTests {
    @Test func histogramBucketsAreCumulativeInTheTextFormat() {
        var histogram = Histogram()
        for value in [0.0005, 0.001, 0.003, 0.2, 30] { histogram.observe(value) }
        var snapshot = MetricsSnapshot()
        snapshot.histograms[MetricSeries.key("latency_seconds", ["route": "/orders/:id"])] = histogram
        let text = PrometheusExposition(metrics: [.init("latency_seconds", .histogram, "Latency.")]).render(snapshot)
        #expect(text.contains("# TYPE latency_seconds histogram\n"))
        #expect(text.contains(#"latency_seconds_bucket{route="/orders/:id",le="0.001"} 2"#))  // ≤ bound counts
        #expect(text.contains(#"latency_seconds_bucket{route="/orders/:id",le="0.005"} 3"#))
        #expect(text.contains(#"latency_seconds_bucket{route="/orders/:id",le="0.25"} 4"#))
        #expect(text.contains(#"latency_seconds_bucket{route="/orders/:id",le="10"} 4"#))
        #expect(text.contains(#"latency_seconds_bucket{route="/orders/:id",le="+Inf"} 5"#))
        #expect(text.contains(#"latency_seconds_count{route="/orders/:id"} 5"#))
        #expect(text.contains(#"latency_seconds_sum{route="/orders/:id"} 30.2045"#))
    }

    @Test func labelValuesAreEscaped() {
        #expect(MetricSeries.key("m", ["route": "a\"b\\c\nd"]) == #"m{route="a\"b\\c\nd"}"#)
        #expect(MetricSeries.name(of: #"m_total{a="{"}"#) == "m_total")
    }

    @Test func snapshotsAddUp() {
        var first = MetricsSnapshot()
        first.counters["requests_total{status=\"200\"}"] = 3
        first.gauges["busy"] = 1
        first.histograms["latency"] = { var h = Histogram(); h.observe(0.002); return h }()
        var second = first
        second.counters["requests_total{status=\"404\"}"] = 2
        first.merge(second)
        #expect(first.counters["requests_total{status=\"200\"}"] == 6)
        #expect(first.counters["requests_total{status=\"404\"}"] == 2)
        #expect(first.gauges["busy"] == 2)
        #expect(first.histograms["latency"]?.count == 2)
        #expect(first.total(of: "requests_total") == 8)
    }

    @Test func aRetiredWorkersCountersStayButItsGaugesGo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)").path
        let board = try StatusBoard(directory: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func report(pid: Int32, requests: Double) -> WorkerReport {
            var metrics = MetricsSnapshot()
            metrics.counters["requests_total"] = requests
            metrics.gauges["busy_threads"] = 1
            return WorkerReport(
                pid: pid, startedAt: 0, takenAt: 0, threads: 4, busyThreads: 1, acceptedRequests: Int(requests),
                circuits: [:], outboundInFlight: [:], outboundLimit: [:], metrics: metrics
            )
        }
        try board.publish(SupervisorReport(pid: 1, startedAt: 0, takenAt: 0, configuredWorkers: 2, threadsPerWorker: 4, workers: [101, 102], restarts: 0, reloads: 0))
        try board.publish(report(pid: 101, requests: 7))
        try board.publish(report(pid: 102, requests: 5))
        try board.publish(report(pid: 999, requests: 1000))  // not one of the supervisor's workers
        #expect(board.read().workers.map(\.pid) == [101, 102])

        board.retire(pid: 101)
        board.retire(pid: 101)  // a second exit notice for the same pid adds nothing
        let contents = board.read()
        #expect(contents.workers.map(\.pid) == [102])
        #expect(contents.retired.counters["requests_total"] == 7)
        #expect(contents.retired.gauges.isEmpty)
        #expect(board.read(exceptPID: 102).workers.isEmpty)
    }
}
