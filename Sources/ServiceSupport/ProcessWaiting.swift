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

    /// How it ended, once ``hasExited``: "status N" or "signal N" (reaping it when Foundation
    /// has not, since `terminationStatus` traps while Foundation thinks it runs); nil before.
    public var exitDescription: String? {
        guard hasExited else { return nil }
        if !isRunning { return "\(terminationReason == .uncaughtSignal ? "signal" : "status") \(terminationStatus)" }
        var status: Int32 = 0
        guard waitpid(processIdentifier, &status, WNOHANG) == processIdentifier else { return "an unknown status" }
        return status & 0x7f == 0 ? "status \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
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
