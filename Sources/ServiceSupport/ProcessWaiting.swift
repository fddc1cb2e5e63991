import Foundation

extension Process {
    /// Polls until the process has exited or `timeout` seconds pass; true when it exited.
    ///
    /// The one polling loop used by the supervisor's drain, the local stack's stop and the tests'
    /// exit checks (`waitUntilExit` has no timeout).
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Deadline(secondsFromNow: timeout)
        while isRunning, !deadline.hasPassed { usleep(20_000) }
        return !isRunning
    }

    /// True once the process has exited, whether or not Foundation has reaped it yet: a child
    /// that exited stays a zombie (state `Z` in `/proc/<pid>/stat`) until reaped, and Foundation
    /// was seen not to reap a child killed while its parent waits on signals (`make run`'s nginx).
    public var hasExited: Bool {
        guard isRunning else { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        // "pid (name) S …": the state follows the last parenthesis.
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// Its exit status once ``hasExited``, as a shell reports it (128 + the signal for a
    /// process killed by one), reaping it when Foundation has not (`terminationStatus` traps
    /// while Foundation thinks it runs); nil before, or when it cannot be learned.
    public var exitStatus: Int32? {
        guard hasExited else { return nil }
        if isRunning {
            var status: Int32 = 0
            if waitpid(processIdentifier, &status, WNOHANG) == processIdentifier {
                return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            // Foundation reaped it first: its status arrives as `isRunning` turns false.
            waitForExit(timeout: 1)
            if isRunning { return nil }
        }
        return terminationReason == .uncaughtSignal ? 128 + terminationStatus : terminationStatus
    }
}

extension Sequence where Element == Process {
    /// Polls until every process has exited or `timeout` seconds pass; true when all exited.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Deadline(secondsFromNow: timeout)
        while contains(where: \.isRunning), !deadline.hasPassed { usleep(20_000) }
        return !contains(where: \.isRunning)
    }
}
