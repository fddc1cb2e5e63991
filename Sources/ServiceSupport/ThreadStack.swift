import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's stack, as far as giving memory back goes.
///
/// A page of stack, once touched, stays resident for the thread's life. A thread that waits
/// long at a shallow depth after deep calls (a request parked on Dintero after its database
/// work; a pool thread idle after a request) would keep all of it: about 27 KB a thread, times
/// a thousand threads. glibc does the same for the stack of a thread that exits.
public enum ThreadStack {
    /// Bytes kept below this function's frame marker: the rest of its frame and the `madvise`
    /// call's (a return address on a zeroed page would crash; an earlier version that kept
    /// nothing below the marker's page did crash). Whole pages below that go; a caller that
    /// reaches them again gets zeroed pages.
    private static let keptBytes: UInt = 1024

    private typealias GetAttributes = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32

    // A GNU extension Swift's Glibc module leaves out (it needs _GNU_SOURCE); part of glibc.
    private static let getAttributes: GetAttributes? = dlsym(nil, "pthread_getattr_np")  // nil: RTLD_DEFAULT
        .map { unsafeBitCast($0, to: GetAttributes.self) }

    private static let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))

    /// How long a ``wait(on:until:)`` runs before its thread gives back its unused stack. Most
    /// short waits end first (a pool thread handed work again at once, a quick answer), and so
    /// pay neither the `madvise` nor the page faults after it; a long one keeps only what it
    /// needs for the rest.
    public static let releaseAfter = DispatchTimeInterval.milliseconds(20)

    /// Waits for `semaphore` until `deadline`; if the wait lasts past ``releaseAfter``, gives
    /// back the stack pages below this frame first (``releaseUnusedPages()``).
    public static func wait(on semaphore: DispatchSemaphore, until deadline: DispatchTime) -> DispatchTimeoutResult {
        let early = DispatchTime.now() + releaseAfter
        if early < deadline, semaphore.wait(timeout: early) == .success { return .success }
        releaseUnusedPages()
        return semaphore.wait(timeout: deadline)
    }

    /// Gives the kernel back the whole pages of the calling thread's stack below the current
    /// frame (less ``keptBytes``): nothing lives there, and a later call that reaches them again
    /// gets zeroed pages. A no-op where the stack cannot be found.
    public static func releaseUnusedPages() {
        guard let stack = bounds() else { return }
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        let end = (here - keptBytes) & ~(pageSize - 1)
        guard end > stack.lowerBound, let start = UnsafeMutableRawPointer(bitPattern: stack.lowerBound) else { return }
        madvise(start, Int(end - stack.lowerBound), MADV_DONTNEED)
    }

    /// The calling thread's stack, from its lowest whole page (above the guard) to its top.
    static func bounds() -> Range<UInt>? {
        guard let getAttributes else { return nil }
        var attributes = pthread_attr_t()
        guard getAttributes(pthread_self(), &attributes) == 0 else { return nil }
        defer { pthread_attr_destroy(&attributes) }
        var lowest: UnsafeMutableRawPointer?
        var size = 0
        guard pthread_attr_getstack(&attributes, &lowest, &size) == 0, let lowest else { return nil }
        let low = UInt(bitPattern: lowest)
        return ((low + pageSize - 1) & ~(pageSize - 1))..<(low + UInt(size))
    }
}
