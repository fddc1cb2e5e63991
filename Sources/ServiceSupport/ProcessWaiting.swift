import Foundation

extension Process {
    /// Polls until the process has exited or `timeout` seconds pass; true when it exited.
    ///
    /// The one polling loop used by the supervisor's drain, the local stack's stop and the tests'
    /// exit checks (`waitUntilExit` has no timeout).
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date() + timeout
        while isRunning, Date() < deadline { usleep(20_000) }
        return !isRunning
    }
}

extension Sequence where Element == Process {
    /// Polls until every process has exited or `timeout` seconds pass; true when all exited.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date() + timeout
        while contains(where: \.isRunning), Date() < deadline { usleep(20_000) }
        return !contains(where: \.isRunning)
    }
}
