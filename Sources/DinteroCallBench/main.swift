import Dintero
import Foundation
import HTTPClient
import HTTPKit
import PaymentsDomain
import ServiceSupport
import Synchronization

// The Dintero session call alone, as a worker makes it (one URLSession per process, the same
// guarded transport and client, blocking calls from dedicated threads), so `make bench` can
// say how much of a create's CPU is this call. Settings: the worker's DINTERO_* variables.
//   usage: dintero-call-bench THREADS SECONDS
let arguments = CommandLine.arguments
guard arguments.count == 3, let threads = Int(arguments[1]), threads > 0, let seconds = Double(arguments[2]), seconds > 0 else {
    FileHandle.standardError.write(Data("usage: dintero-call-bench THREADS SECONDS\n".utf8))
    exit(2)
}
let log = Logger(label: "dintero-call-bench", minimumLevel: .warning)
let configuration: DinteroConfiguration
do { configuration = try DinteroConfiguration.from(Environment()) } catch {
    FileHandle.standardError.write(Data("dintero-call-bench: \(error)\n".utf8))
    exit(2)
}
let transport = GuardedTransport(URLSessionTransport(), target: "dintero", maxConcurrent: threads, failureThreshold: 1_000_000, openSeconds: 1)
let client = DinteroClient(configuration: configuration, transport: transport, log: log)
/// The first few distinct reasons calls failed, for stderr.
let failures = Mutex([String]())
@Sendable func call() -> Bool {
    let id = RandomUUID.string()
    let request = SessionRequest(
        amount: 29_900, currency: "NOK", merchantReference: id,
        returnURL: "http://127.0.0.1/orders/\(id)/redirect", callbackURL: "http://127.0.0.1/orders/\(id)/callback",
        expiresAt: Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000
    )
    do {
        _ = try client.createSession(request)
        return true
    } catch {
        failures.withLock { if $0.count < 3, !$0.contains("\(error)") { $0.append("\(error)") } }
        return false
    }
}
guard call() else {  // fetches and caches the token, as a worker's first create does
    FileHandle.standardError.write(Data("dintero-call-bench: the first call failed\n".utf8))
    exit(1)
}
func cpuMicroseconds() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}
let counts = Mutex((ok: 0, failed: 0))
let finished = DispatchGroup()
let deadline = Date().addingTimeInterval(seconds)
let cpuBefore = cpuMicroseconds()
let actionsBefore = URLSessionTransport.SocketFix.socketActions, droppedBefore = URLSessionTransport.SocketFix.droppedWriteWatches
for _ in 0..<threads {
    finished.enter()
    Thread.detachNewThread {
        var ok = 0, failed = 0
        while Date() < deadline { if call() { ok += 1 } else { failed += 1 } }
        counts.withLock { $0.ok += ok; $0.failed += failed }
        finished.leave()
    }
}
finished.wait()
let cpu = cpuMicroseconds() - cpuBefore
let total = counts.withLock { $0 }
for reason in failures.withLock({ $0 }) { FileHandle.standardError.write(Data("dintero-call-bench: a call failed: \(reason)\n".utf8)) }
let actions = URLSessionTransport.SocketFix.socketActions - actionsBefore
let dropped = URLSessionTransport.SocketFix.droppedWriteWatches - droppedBefore
// One line, read by Tests/Benchmarks/bench.sh: calls, failed calls, CPU microseconds, socket
// events handed to libcurl, write sources the URLSession fix dropped, and whether it was active.
print("calls=\(total.ok) failed=\(total.failed) cpu_us=\(cpu) socket_actions=\(actions) dropped=\(dropped) fix_active=\(URLSessionTransport.SocketFix.isActive)")
