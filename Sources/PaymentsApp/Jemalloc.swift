import Foundation

/// The worker's allocator, jemalloc (docs/dependencies.md), as far as the outbound pool needs it.
enum Jemalloc {
    private typealias Mallctl = @convention(c) (
        UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?, Int
    ) -> Int32

    // Looked up at run time: only the worker executable links jemalloc; elsewhere (tests) a
    // no-op.
    private static let mallctl: Mallctl? = dlsym(nil, "mallctl")  // nil: RTLD_DEFAULT
        .map { unsafeBitCast($0, to: Mallctl.self) }

    /// The environment for a worker pinned to one CPU: one arena serves it, not jemalloc's
    /// four per CPU, each with half-used slabs of its own (measured with 1,024 creates in
    /// flight: two workers 106-116 → 99-102 MiB, and 727-741 → 687-699 µs of CPU a create under
    /// `wrk -c32`). An operator's `MALLOC_CONF` wins.
    static let pinnedWorkerEnvironment = ["MALLOC_CONF": "narenas:1"]

    /// How long freed pages stay with the process before going back to the kernel: 250 ms
    /// instead of jemalloc's 10 s, and straight back (`MADV_DONTNEED`) instead of through the
    /// lazy `MADV_FREE` stage, whose pages count as the process's until the kernel needs them.
    /// With a thousand creates in flight, requests' buffers come and go at hundreds of MB a
    /// second; measured there: 164 → 127 MiB for two workers, and no CPU cost measurable under
    /// `wrk -c32` creates. A `MALLOC_CONF` in the environment that sets a decay wins (this
    /// leaves it alone).
    static func returnFreedPagesSooner() {
        guard let mallctl, ProcessInfo.processInfo.environment["MALLOC_CONF"]?.contains("decay_ms") != true else { return }
        // `arenas.*` for arenas made later, `arena.<i>.*` for each one made already (arena 0 at
        // least; MALLCTL_ARENAS_ALL is refused for these settings).
        var arenas: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        _ = withUnsafeMutablePointer(to: &arenas) { mallctl("arenas.narenas", $0, &size, nil, 0) }
        for (setting, milliseconds) in [("dirty_decay_ms", 250), ("muzzy_decay_ms", 0)] {
            for scope in ["arenas"] + (0..<max(arenas, 1)).map({ "arena.\($0)" }) {
                var value = milliseconds
                _ = withUnsafeMutablePointer(to: &value) { mallctl("\(scope).\(setting)", nil, nil, $0, MemoryLayout<Int>.size) }
            }
        }
    }

    /// Turns off jemalloc's per-thread cache for the calling thread. A thread that waits most
    /// of its life (on Dintero) gains nothing from one, and hundreds of such caches cost about
    /// 400 KiB each (measured: a worker with ~800 parked requests 443 → 128 MB PSS).
    static func disableThreadCache() {
        guard let mallctl else { return }
        var enabled = false
        _ = withUnsafeMutablePointer(to: &enabled) { mallctl("thread.tcache.enabled", nil, nil, $0, MemoryLayout<Bool>.size) }
    }
}
