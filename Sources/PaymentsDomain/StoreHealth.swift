/// Whether the store can take writes right now (for readiness checks).
public protocol StoreHealth {
    /// Performs one small real write; throws what the store said when it cannot.
    func checkWritable(by checker: String, at time: Int64) throws
}

/// An error a store throws, classified for the caller: `isUnavailable` when the database
/// cannot be reached right now (down, restarting, failing over), so the request was not
/// carried out and may be retried shortly.
public protocol StoreFailure: Error {
    var isUnavailable: Bool { get }
}

/// Lets one process among every host sharing the database run a periodic job at a time (the
/// sweeper: two hosts reconciling one order with Dintero at once could both re-send a capture).
public protocol JobLock {
    /// Runs `body` when no other process holds the lock, releasing it after; nil when another
    /// process holds it (that one runs the job this time).
    func whileHeld<T>(_ body: () throws -> T) throws -> T?
}
