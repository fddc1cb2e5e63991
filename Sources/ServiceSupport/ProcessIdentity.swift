import Foundation

/// Who holds a lease across processes: `host:pid`. On the same host a holder's death is seen
/// at once (its pid is gone), so work it held can be taken over without waiting for a lease to
/// run out.
public enum ProcessIdentity {
    /// This process, `host:pid`.
    public static let current = "\(ProcessInfo.processInfo.hostName):\(getpid())"

    /// False only when `owner` names a process on this host that no longer exists.
    public static func isAlive(_ owner: String) -> Bool {
        guard let colon = owner.lastIndex(of: ":"), let pid = Int32(owner[owner.index(after: colon)...]) else { return true }
        guard owner[..<colon] == ProcessInfo.processInfo.hostName[...] else { return true }
        return isAlive(pid: pid)
    }

    /// False only when no process `pid` exists on this host.
    public static func isAlive(pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }
}
