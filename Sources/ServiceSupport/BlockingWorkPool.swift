import Dispatch
import Foundation

/// Runs blocking work (a request that waits on an outbound call) on up to `limit` threads of
/// its own, started as needed, the most recently idle one reused first, and ended after
/// `idleSeconds` idle, so that waiting never holds a thread that should be accepting. Past the
/// limit, work waits in a queue of `queueLimit` entries for at most `queueSeconds`; work that
/// finds the queue full, or is still waiting at its deadline, is refused (its `refused` handler
/// runs instead, on another thread).
///
/// Each thread makes its own `Context` once (a router with its own stores, say), so nothing
/// thread-confined crosses threads.
public final class BlockingWorkPool<Context>: @unchecked Sendable {
    // All mutable state is guarded by `lock`.

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
    private let lock = NSLock()
    private var threads = 0
    // Idle threads, the most recently idle last: work goes to the last one, so under a falling
    // load the same few threads stay busy and the rest reach the idle limit and end (woken in
    // turn, every thread would stay, each with its stack).
    private var sleepers: [Sleeper] = []
    private var queue: [Job] = []
    private var nextID = 0
    private var refusals = 0

    /// An idle thread; work reaches it through `job` (set under `lock`), then `wake`.
    private final class Sleeper {
        let wake = DispatchSemaphore(value: 0)
        var job: Job?
    }

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
        lock.lock()
        nextID += 1
        let job = Job(id: nextID, work: work, refused: refused)
        if let sleeper = sleepers.popLast() {
            sleeper.job = job
            lock.unlock()
            sleeper.wake.signal()
            return
        }
        if threads < limit {
            threads += 1
            lock.unlock()
            if startThread(first: job) { return }
            // No thread for it now: it waits for one like queued work.
            lock.lock()
            threads -= 1
        } else if queue.count >= queueLimit {
            refusals += 1
            lock.unlock()
            refused(.queueFull)
            return
        }
        queue.append(job)
        lock.unlock()
        DispatchQueue.global().asyncAfter(deadline: .now() + queueSeconds) { [self] in expire(job.id) }
    }

    /// The current counts.
    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return Snapshot(running: threads - sleepers.count, idle: sleepers.count, queued: queue.count, limit: limit, refused: refusals)
    }

    /// Refuses the job if it is still waiting for a thread.
    private func expire(_ id: Int) {
        lock.lock()
        guard let index = queue.firstIndex(where: { $0.id == id }) else {
            lock.unlock()
            return
        }
        let job = queue.remove(at: index)
        refusals += 1
        lock.unlock()
        job.refused(.deadlinePassed)
    }

    private func startThread(first job: Job) -> Bool {
        let thread = DedicatedThread(stackSize: stackSize) { [self] in run(first: job) }
        guard thread.start() else { return false }
        thread.detach()
        return true
    }

    private func run(first: Job) {
        prepareThread()
        let context = makeContext()
        let sleeper = Sleeper()
        var next: Job? = first
        while true {
            if let job = next {
                job.work(context)
                next = nil
            }
            lock.lock()
            if !queue.isEmpty {
                next = queue.removeFirst()
                lock.unlock()
                continue
            }
            sleepers.append(sleeper)
            lock.unlock()
            // A thread that stays idle keeps only the stack it needs to wait.
            let timedOut = ThreadStack.wait(on: sleeper.wake, until: .now() + idleSeconds) == .timedOut
            lock.lock()
            if let job = sleeper.job {
                sleeper.job = nil
                lock.unlock()
                // Handed work as the wait ended: its signal follows the hand-off's unlock.
                if timedOut { sleeper.wake.wait() }
                next = job
                continue
            }
            sleepers.removeAll { $0 === sleeper }
            threads -= 1
            lock.unlock()
            return
        }
    }
}
