import Dispatch
import ServiceSupport
import Synchronization
import Testing

/// The outbound pool's admission: threads up to the limit, then a bounded queue with a
/// deadline. Barriers are semaphores; no test waits on a duration to assert anything.
@Suite struct BlockingWorkPoolTests {
    final class Log: Sendable {
        let events = Mutex<[String]>([])
        func append(_ event: String) { events.withLock { $0.append(event) } }
        var all: [String] { events.withLock { $0 } }
    }

    @Test func pastTheLimitWorkQueuesAndAFullQueueRefusesAtOnce() {
        let contexts = Atomic<Int>(0)
        let pool = BlockingWorkPool<Int>(limit: 1, queueLimit: 1, queueSeconds: 60) { contexts.add(1, ordering: .relaxed).newValue }
        let log = Log()
        let gate = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        pool.submit({ context in
            log.append("a on \(context)")
            started.signal()
            gate.wait()
        }, refused: { _ in log.append("a refused") })
        started.wait()
        pool.submit({ context in
            log.append("b on \(context)")
            done.signal()
        }, refused: { _ in log.append("b refused") })
        pool.submit({ _ in log.append("c ran") }, refused: { log.append("c refused: \($0)") })
        #expect(log.all == ["a on 1", "c refused: queueFull"])
        let snapshot = pool.snapshot
        #expect(snapshot.running == 1 && snapshot.idle == 0 && snapshot.queued == 1 && snapshot.refused == 1)
        gate.signal()
        done.wait()
        #expect(log.all == ["a on 1", "c refused: queueFull", "b on 1"])
        #expect(contexts.load(ordering: .relaxed) == 1, "one thread, one context")
    }

    @Test func queuedWorkIsRefusedAtItsDeadline() {
        let pool = BlockingWorkPool<Void>(limit: 1, queueLimit: 10, queueSeconds: 0.01) {}
        let gate = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0), refused = DispatchSemaphore(value: 0)
        let log = Log()
        pool.submit({ _ in
            started.signal()
            gate.wait()
        }, refused: { _ in log.append("a refused") })
        started.wait()
        pool.submit({ _ in log.append("b ran") }, refused: {
            log.append("b refused: \($0)")
            refused.signal()
        })
        refused.wait()
        gate.signal()
        #expect(log.all == ["b refused: deadlinePassed"])
        #expect(pool.snapshot.refused == 1)
    }

    @Test func workBeyondTheIdleThreadsStartsNewOnesUpToTheLimit() {
        let pool = BlockingWorkPool<Void>(limit: 8, queueLimit: 0, queueSeconds: 60) {}
        let gate = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0)
        let refusals = Atomic<Int>(0)
        for _ in 0..<8 {
            pool.submit({ _ in
                started.signal()
                gate.wait()
            }, refused: { _ in refusals.add(1, ordering: .relaxed) })
        }
        for _ in 0..<8 { started.wait() }
        #expect(pool.snapshot.running == 8)
        pool.submit({ _ in }, refused: { _ in refusals.add(1, ordering: .relaxed) })
        #expect(refusals.load(ordering: .relaxed) == 1)
        for _ in 0..<8 { gate.signal() }
    }
}
