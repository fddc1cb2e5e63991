import Dispatch
import Foundation
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

    /// Work goes to the thread that went idle last, so a surplus of threads stays idle and
    /// ends instead of every thread being woken in turn.
    @Test func theMostRecentlyIdleThreadTakesTheNextWork() {
        let contexts = Atomic<Int>(0)
        let pool = BlockingWorkPool<Int>(limit: 3, queueLimit: 0, queueSeconds: 60) { contexts.add(1, ordering: .relaxed).newValue }
        let started = DispatchSemaphore(value: 0)
        let gates = (0..<3).map { _ in DispatchSemaphore(value: 0) }
        let ranOn = Mutex<[Int: Int]>([:])  // gate → context
        for (index, gate) in gates.enumerated() {
            pool.submit({ context in
                ranOn.withLock { $0[index] = context }
                started.signal()
                gate.wait()
            }, refused: { _ in })
        }
        for _ in gates { started.wait() }
        // Let the three end one after the other, each idle before the next ends.
        let contextOf = ranOn.withLock { $0 }
        for (index, gate) in gates.enumerated() {
            gate.signal()
            Self.waitUntil { pool.snapshot.idle == index + 1 }
        }
        let next = Self.contextOfNextWork(on: pool)
        #expect(Set(contextOf.values) == [1, 2, 3])
        #expect(next == contextOf[2], "the thread whose work ended last")
    }

    /// A thread idle for `idleSeconds` ends; later work gets a new one.
    @Test func idleThreadsEnd() {
        let contexts = Atomic<Int>(0)
        let pool = BlockingWorkPool<Int>(limit: 2, queueLimit: 0, queueSeconds: 60, idleSeconds: 0.01) {
            contexts.add(1, ordering: .relaxed).newValue
        }
        #expect(Self.contextOfNextWork(on: pool) == 1)
        Self.waitUntil { pool.snapshot.running == 0 && pool.snapshot.idle == 0 }
        #expect(Self.contextOfNextWork(on: pool) == 2, "a new thread, with a context of its own")
    }

    /// Submits work and waits for it; the context of the thread that ran it (nil if refused).
    private static func contextOfNextWork(on pool: BlockingWorkPool<Int>) -> Int? {
        let done = DispatchSemaphore(value: 0)
        let ranOn = Mutex<Int?>(nil)
        pool.submit({ context in
            ranOn.withLock { $0 = context }
            done.signal()
        }, refused: { _ in done.signal() })
        done.wait()
        return ranOn.withLock { $0 }
    }

    /// Polls a condition another thread makes true (a barrier; nothing is timed).
    private static func waitUntil(_ condition: () -> Bool) {
        while !condition() { usleep(1_000) }
    }
}
