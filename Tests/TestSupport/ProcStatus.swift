import Foundation

/// Reads a process's or thread's scheduling facts from /proc, as the kernel reports them.
public enum ProcStatus {
    /// The CPUs `pid` (or one of its threads) may run on: its `Cpus_allowed_list`, expanded.
    public static func allowedCPUs(of pid: Int32, thread: Int32? = nil) throws -> [Int32] {
        let path = thread.map { "/proc/\(pid)/task/\($0)/status" } ?? "/proc/\(pid)/status"
        let status = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
              let list = line.split(separator: "\t").last else { return [] }
        return list.split(separator: ",").flatMap { range -> [Int32] in
            let bounds = range.split(separator: "-").compactMap { Int32($0) }
            guard let first = bounds.first else { return [] }
            return Array(first...(bounds.last ?? first))
        }
    }

    /// The scheduling policy of a thread (field 41 of its `stat`: 0 normal, 3 batch).
    public static func policy(of pid: Int32, thread: Int32) throws -> Int32? {
        let stat = try String(contentsOfFile: "/proc/\(pid)/task/\(thread)/stat", encoding: .utf8)
        guard let end = stat.range(of: ")", options: .backwards) else { return nil }
        // Fields from the third on follow the command name's closing parenthesis.
        let fields = stat[end.upperBound...].split(separator: " ")
        return fields.count > 41 - 3 ? Int32(fields[41 - 3]) : nil
    }

    /// The thread ids of `pid`.
    public static func threads(of pid: Int32) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap { Int32($0) }
    }
}
