import CProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How worker processes are scheduled: pinned to one CPU each, and under `SCHED_BATCH`.
///
/// A worker's accept threads and URLSession's dispatch threads wake each other many times per
/// request (FoundationNetworking re-arms a dispatch timer for every response header line,
/// and each re-arm wakes libdispatch's manager thread). Under the default policy each wake-up
/// preempts the thread that caused it, on whichever CPU; pinned to one CPU the wake-ups need
/// no cross-CPU interrupt, and under `SCHED_BATCH` a woken thread waits for the running one
/// to block instead of preempting it, so the wake-ups batch up (measured in
/// docs/benchmarks.md). The supervisor gives each worker slot one CPU (through
/// ``assignmentVariable`` in the worker's environment); the worker applies both to every
/// thread before serving, and threads started later inherit them.
public enum ProcessScheduling {
    /// The environment variable through which the supervisor hands a worker its CPU.
    public static let assignmentVariable = "FCGI_WORKER_CPU"

    private static let bitsPerWord = MemoryLayout<UInt>.size * 8
    /// Words of an affinity mask naming 1,024 CPUs, as glibc's `cpu_set_t` does.
    private static let maskWords = 1024 / bitsPerWord
    /// `SCHED_BATCH` from <sched.h>, hidden from Swift without _GNU_SOURCE (Linux ABI).
    private static let batchPolicy: Int32 = 3

    /// The CPUs this process may run on, ascending.
    public static func allowedCPUs() throws(SystemCallError) -> [Int32] {
        var mask = [UInt](repeating: 0, count: maskWords)
        try SystemCall.check("sched_getaffinity", "0") {
            mask.withUnsafeMutableBufferPointer { cprocess_sched_getaffinity(0, $0.count * MemoryLayout<UInt>.size, $0.baseAddress) }
        }
        return (0..<(maskWords * bitsPerWord)).filter { mask[$0 / bitsPerWord] & (1 << UInt($0 % bitsPerWord)) != 0 }.map(Int32.init)
    }

    /// One CPU per worker slot, or nil to leave the scheduler free: only when the workers
    /// divide evenly over more than one CPU (workers = CPUs, or a multiple), so every CPU
    /// carries the same number of workers; fewer workers than CPUs are not confined.
    public static func plan(workers: Int, allowed: [Int32]) -> [Int32]? {
        guard allowed.count > 1, workers >= allowed.count, workers % allowed.count == 0 else { return nil }
        return (0..<workers).map { allowed[$0 % allowed.count] }
    }

    /// The CPU the supervisor assigned to this process, if any.
    public static func assignedCPU(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32? {
        guard let cpu = environment[assignmentVariable].flatMap({ Int32($0) }), (0..<Int32(maskWords * bitsPerWord)).contains(cpu) else { return nil }
        return cpu
    }

    /// Pins every thread of this process to `cpu`.
    public static func pinProcess(to cpu: Int32) throws(SystemCallError) {
        var mask = [UInt](repeating: 0, count: maskWords)
        mask[Int(cpu) / bitsPerWord] = 1 << UInt(Int(cpu) % bitsPerWord)
        for thread in threads() {
            try SystemCall.check("sched_setaffinity", "thread \(thread), CPU \(cpu)") {
                mask.withUnsafeBufferPointer { cprocess_sched_setaffinity(thread, $0.count * MemoryLayout<UInt>.size, $0.baseAddress) }
            }
        }
    }

    /// Puts every thread of this process under `SCHED_BATCH` (no privilege needed).
    public static func useBatchPolicy() throws(SystemCallError) {
        var parameters = sched_param(sched_priority: 0)
        for thread in threads() {
            try SystemCall.check("sched_setscheduler", "thread \(thread), SCHED_BATCH") { sched_setscheduler(thread, batchPolicy, &parameters) }
        }
    }

    /// Lowers the calling thread's priority by `steps` nice levels (Linux keeps a nice value
    /// per thread), so that under a full CPU the other threads are served first.
    public static func lowerCurrentThreadPriority(by steps: Int32) {
        // The thread's id from /proc/thread-self ("pid/task/tid"): neither glibc's gettid()
        // nor the variadic syscall() reaches Swift.
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
              let thread = link.split(separator: "/").last.flatMap({ id_t($0) }) else { return }
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread)
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, min(19, current + steps))
    }

    /// The thread ids of this process (a thread that ends meanwhile fails its call with
    /// ESRCH; none does this early in a worker's life).
    private static func threads() -> [pid_t] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task"))?.compactMap { pid_t($0) } ?? [0]
    }
}
