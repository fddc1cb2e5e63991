#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread outside the Swift concurrency pool, for blocking work such as `accept`.
final class DedicatedThread: @unchecked Sendable {
    // Written once in `start` before any other thread can read it.
    private(set) var id = pthread_t()
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&id, nil, { raw in
            let thread = Unmanaged<DedicatedThread>.fromOpaque(raw!).takeRetainedValue()
            thread.body()
            return nil
        }, context)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    func signal(_ signal: Int32) {
        pthread_kill(id, signal)
    }

    func join() {
        pthread_join(id, nil)
    }
}
