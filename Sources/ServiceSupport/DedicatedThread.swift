#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread outside the Swift concurrency pool, for blocking work such as `accept` or
/// a call that waits on a semaphore.
public final class DedicatedThread: @unchecked Sendable {
    // Written once in `start` before any other thread can read it.
    private(set) var id = pthread_t()
    private let body: @Sendable () -> Void
    private let stackSize: Int?

    /// A thread that will run `body`; `stackSize` bytes of stack (nil: the system's default).
    public init(stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
        self.body = body
        self.stackSize = stackSize
    }

    /// Starts the thread; false when the system refuses another thread.
    @discardableResult
    public func start() -> Bool {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        // Nobody joins a pool's threads: their resources go back when they end.
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&id, &attributes, { raw in
            let thread = Unmanaged<DedicatedThread>.fromOpaque(raw!).takeRetainedValue()
            thread.body()
            return nil
        }, context)
        if rc != 0 { Unmanaged<DedicatedThread>.fromOpaque(context).release() }
        return rc == 0
    }

    /// Sends `signal` to the thread (to interrupt a blocking call).
    public func signal(_ signal: Int32) {
        pthread_kill(id, signal)
    }

    /// Lets the thread's resources go back to the system when it ends, without a join.
    public func detach() {
        pthread_detach(id)
    }

    /// Waits for the thread to end.
    public func join() {
        pthread_join(id, nil)
    }
}
