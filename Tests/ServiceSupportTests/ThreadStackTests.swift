import Dispatch
import Glibc
@testable import ServiceSupport
import Synchronization
import Testing

/// A thread's stack pages touched by deep calls go back to the kernel once the thread is
/// shallow again; residency is read with `mincore`, page by page.
@Suite struct ThreadStackTests {
    @Test func pagesBelowTheCurrentFrameAreGivenBack() throws {
        let counts = Mutex<(touched: Int, before: Int, after: Int)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let started = DedicatedThread(stackSize: 1 << 20) {
            let touched = Self.touchStack(depth: 400)
            let before = Self.residentPages()
            ThreadStack.releaseUnusedPages()
            let after = Self.residentPages()
            counts.withLock { $0 = (touched, before, after) }
            done.signal()
        }.start()
        try #require(started)
        done.wait()
        let result = try #require(counts.withLock { $0 })
        #expect(result.touched > 0)
        #expect(result.before >= 100, "400 frames of at least 1,000 bytes each touched \(result.before) pages")
        #expect(result.after * 4 <= result.before, "\(result.after) of \(result.before) pages still resident")
    }

    @Test func aShallowThreadKeepsWhatItUses() throws {
        let kept = Mutex<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        let started = DedicatedThread(stackSize: 1 << 20) {
            ThreadStack.releaseUnusedPages()
            // Deep again after the release: the pages come back, zeroed, and work as before.
            kept.withLock { $0 = Self.touchStack(depth: 50) }
            done.signal()
        }.start()
        try #require(started)
        done.wait()
        #expect(kept.withLock { $0 } == Self.expectedSum(depth: 50))
    }

    /// A wait that ends before ``ThreadStack/releaseAfter`` leaves the stack as it was; one
    /// that lasts past it gives back the pages below its frame.
    @Test func onlyALongWaitGivesBackTheStack() throws {
        let counts = Mutex<(before: Int, afterShort: Int, afterLong: Int)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let started = DedicatedThread(stackSize: 1 << 20) {
            _ = Self.touchStack(depth: 400)
            let before = Self.residentPages()
            // Signalled, not made with a count: libdispatch traps on freeing a semaphore left
            // below its initial value.
            let signalled = DispatchSemaphore(value: 0)
            signalled.signal()
            let short = ThreadStack.wait(on: signalled, until: .now() + 60)
            let afterShort = Self.residentPages()
            let never = DispatchSemaphore(value: 0)
            let long = ThreadStack.wait(on: never, until: .now() + ThreadStack.releaseAfter + .milliseconds(5))
            let afterLong = Self.residentPages()
            if short == .success && long == .timedOut { counts.withLock { $0 = (before, afterShort, afterLong) } }
            done.signal()
        }.start()
        try #require(started)
        done.wait()
        let result = try #require(counts.withLock { $0 }, "the signalled wait succeeds, the other times out")
        #expect(result.before >= 100)
        #expect(result.afterShort >= result.before - 2, "\(result.afterShort) of \(result.before) pages after a wait that ended at once")
        #expect(result.afterLong * 4 <= result.before, "\(result.afterLong) of \(result.before) pages after a long wait")
    }

    /// Called from every offset within a page (16 bytes apart), the release never takes a page
    /// holding a live frame: each call returns, and the frames above it keep their values.
    @Test func releasingFromAnyOffsetInAPageKeepsTheLiveFrames() throws {
        let sums = Mutex<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        let started = DedicatedThread(stackSize: 1 << 20) {
            let found = (1...256).map { Self.releaseBelow(padding: $0 * 16) }
            sums.withLock { $0 = found }
            done.signal()
        }.start()
        try #require(started)
        done.wait()
        #expect(sums.withLock { $0 } == (1...256).map { Self.expectedSum(depth: 2) + $0 * 16 })
    }

    /// Releases with `padding` bytes of this frame's own between the caller and the release,
    /// then reads a value from each frame above.
    @inline(never)
    private static func releaseBelow(padding: Int) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: padding) { buffer in
            buffer.initialize(repeating: 1)
            let above = touchStackThenRelease(depth: 2)
            return above + buffer.reduce(0) { $0 + Int($1) }
        }
    }

    @inline(never)
    private static func touchStackThenRelease(depth: Int) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1_000) { buffer in
            buffer.initialize(repeating: UInt8(truncatingIfNeeded: depth))
            if depth == 0 { ThreadStack.releaseUnusedPages() }
            let here = Int(buffer[0]) + Int(buffer[999])
            return depth == 0 ? here : here + touchStackThenRelease(depth: depth - 1)
        }
    }

    /// Recursion with a kilobyte of stack per frame; returns a sum that depends on every frame.
    @inline(never)
    private static func touchStack(depth: Int) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1_000) { buffer in
            buffer.initialize(repeating: UInt8(truncatingIfNeeded: depth))
            let here = Int(buffer[0]) + Int(buffer[999])
            return depth == 0 ? here : here + touchStack(depth: depth - 1)
        }
    }

    private static func expectedSum(depth: Int) -> Int {
        (0...depth).map { 2 * Int(UInt8(truncatingIfNeeded: $0)) }.reduce(0, +)
    }

    /// Resident pages of the calling thread's stack.
    private static func residentPages() -> Int {
        guard let stack = ThreadStack.bounds() else { return -1 }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = Int(stack.upperBound - stack.lowerBound)
        var vector = [UInt8](repeating: 0, count: (length + page - 1) / page)
        guard mincore(UnsafeMutableRawPointer(bitPattern: stack.lowerBound), length, &vector) == 0 else { return -1 }
        return vector.filter { $0 & 1 == 1 }.count
    }
}
