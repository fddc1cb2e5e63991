import Foundation

/// Who holds a lease across processes: `host:pid`, or `host:pid/mark` for one claim of the
/// process. On the same host a holder's death is seen at once (its pid is gone), so work it held
/// can be taken over without waiting for a lease to run out.
public enum ProcessIdentity {
    /// This process, `host:pid`.
    public static let current = "\(ProcessInfo.processInfo.hostName):\(getpid())"

    /// This process and a mark of its own: one claim, told apart from the process's others.
    public static func claim() -> String { "\(current)/\(RandomUUID.string().prefix(12))" }

    /// False only when `owner` names a process on this host that no longer exists.
    public static func isAlive(_ owner: String) -> Bool {
        let process = owner.split(separator: "/", maxSplits: 1).first.map(String.init) ?? owner
        guard let colon = process.lastIndex(of: ":"), let pid = Int32(process[process.index(after: colon)...]) else { return true }
        guard process[..<colon] == ProcessInfo.processInfo.hostName[...] else { return true }
        return isAlive(pid: pid)
    }

    /// False only when no process `pid` exists on this host.
    public static func isAlive(pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }
}
