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

    /// Turns off jemalloc's per-thread cache for the calling thread. A thread that waits most
    /// of its life (on Dintero) gains nothing from one, and hundreds of such caches cost about
    /// 400 KiB each (measured: a worker with ~800 parked requests 443 → 128 MB PSS).
    static func disableThreadCache() {
        guard let mallctl else { return }
        var enabled = false
        _ = withUnsafeMutablePointer(to: &enabled) { mallctl("thread.tcache.enabled", nil, nil, $0, MemoryLayout<Bool>.size) }
    }
}
