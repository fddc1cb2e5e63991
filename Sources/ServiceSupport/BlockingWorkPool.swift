import Dispatch
import Foundation

/// Runs blocking work (a request that waits on an outbound call) on up to `limit` threads of
/// its own, started as needed and ended after a minute idle, so that waiting never holds a
/// thread that should be accepting. Past the limit, work waits in a queue of `queueLimit`
/// entries for at most `queueSeconds`; work that finds the queue full, or is still waiting at
/// its deadline, is refused (its `refused` handler runs instead, on another thread).
///
/// Each thread makes its own `Context` once (a router with its own stores, say), so nothing
/// thread-confined crosses threads.
public final class BlockingWorkPool<Context>: @unchecked Sendable {
    // All mutable state is guarded by `condition`.

    /// Why work was refused.
    public enum Refusal: Sendable, Equatable {
        /// Every thread was busy and the queue was full.
        case queueFull
        /// Every thread stayed busy until the work's queue deadline.
        case deadlinePassed
    }

    /// What the pool is doing, for status pages and metrics.
    public struct Snapshot: Sendable, Equatable {
        /// Threads running work right now.
        public var running: Int
        /// Threads waiting for work.
        public var idle: Int
        /// Work waiting for a thread.
        public var queued: Int
        /// The thread limit.
        public var limit: Int
        /// Work refused since start.
        public var refused: Int
    }

    private struct Job {
        let id: Int
        let work: @Sendable (Context) -> Void
        let refused: @Sendable (Refusal) -> Void
    }

    /// The thread limit.
    public let limit: Int
    /// The queue's length limit.
    public let queueLimit: Int
    /// How long work may wait in the queue, seconds.
    public let queueSeconds: Double
    private let idleSeconds: Double
    private let stackSize: Int
    private let makeContext: @Sendable () -> Context
    private let prepareThread: @Sendable () -> Void
    private let condition = NSCondition()
    private var threads = 0
    private var idle = 0
    private var queue: [Job] = []
    private var nextID = 0
    private var refusals = 0

    /// A pool of at most `limit` threads of `stackSize` bytes each; `prepareThread` runs first
    /// on each new thread (to tune it), then `makeContext`.
    public init(
        limit: Int, queueLimit: Int, queueSeconds: Double, idleSeconds: Double = 60, stackSize: Int = 512 * 1024,
        prepareThread: @escaping @Sendable () -> Void = {}, makeContext: @escaping @Sendable () -> Context
    ) {
        self.prepareThread = prepareThread
        self.limit = max(1, limit)
        self.queueLimit = max(0, queueLimit)
        self.queueSeconds = queueSeconds
        self.idleSeconds = idleSeconds
        self.stackSize = stackSize
        self.makeContext = makeContext
    }

    /// Runs `work` on a pool thread: at once when a thread is free or may be started, else
    /// after queueing. `refused` runs instead (exactly one of the two runs) when the queue is
    /// full or the deadline passes first.
    public func submit(_ work: @escaping @Sendable (Context) -> Void, refused: @escaping @Sendable (Refusal) -> Void) {
        condition.lock()
        // Each idle thread takes one queued job; the rest of the queue really waits.
        let waiting = queue.count - idle
        if threads >= limit && waiting >= queueLimit {
            refusals += 1
            condition.unlock()
            refused(.queueFull)
            return
        }
        nextID += 1
        let job = Job(id: nextID, work: work, refused: refused)
        queue.append(job)
        let start = waiting >= 0 && threads < limit
        if start { threads += 1 }
        var waits = waiting >= 0 && !start
        condition.signal()
        condition.unlock()
        if start && !startThread() {
            // No thread for it now: it waits for one like queued work.
            condition.lock()
            threads -= 1
            condition.unlock()
            waits = true
        }
        if waits {
            DispatchQueue.global().asyncAfter(deadline: .now() + queueSeconds) { [self] in expire(job.id) }
        }
    }

    /// The current counts.
    public var snapshot: Snapshot {
        condition.lock()
        defer { condition.unlock() }
        return Snapshot(running: threads - idle, idle: idle, queued: queue.count, limit: limit, refused: refusals)
    }

    /// Refuses the job if it is still waiting for a thread.
    private func expire(_ id: Int) {
        condition.lock()
        guard let index = queue.firstIndex(where: { $0.id == id }) else {
            condition.unlock()
            return
        }
        let job = queue.remove(at: index)
        refusals += 1
        condition.unlock()
        job.refused(.deadlinePassed)
    }

    private func startThread() -> Bool {
        let thread = DedicatedThread(stackSize: stackSize) { [self] in run() }
        guard thread.start() else { return false }
        thread.detach()
        return true
    }

    private func run() {
        prepareThread()
        let context = makeContext()
        condition.lock()
        while true {
            if !queue.isEmpty {
                let job = queue.removeFirst()
                condition.unlock()
                job.work(context)
                condition.lock()
                continue
            }
            idle += 1
            condition.unlock()
            // An idle thread keeps only the stack it needs to wait.
            ThreadStack.releaseUnusedPages()
            condition.lock()
            if !queue.isEmpty {
                // Work came while the lock was let go; its signal found no one waiting.
                idle -= 1
                continue
            }
            let woken = condition.wait(until: Date(timeIntervalSinceNow: idleSeconds))
            idle -= 1
            if !woken && queue.isEmpty {
                threads -= 1
                condition.unlock()
                return
            }
        }
    }
}
