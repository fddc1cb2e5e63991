import Foundation
import HTTPKit
import Synchronization
import Testing
import TestSupport

@Suite struct GuardedTransportTests {
    let request = TransportRequest(method: "GET", url: "http://dintero.test/x", timeout: 1)

    @Test func callsBeyondTheCapFailAtOnce() throws {
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let slow = FakeTransport { _ throws(TransportError) in
            entered.signal()
            release.wait()
            return .json("{}")
        }
        let guarded = GuardedTransport(slow, target: "dintero", maxConcurrent: 2)
        let finished = DispatchGroup()
        for _ in 0..<2 {
            finished.enter()
            Thread.detachNewThread { _ = try? guarded.send(request); finished.leave() }
        }
        entered.wait()
        entered.wait()
        #expect(throws: TransportError.atCapacity) { try guarded.send(request) }
        #expect(guarded.snapshot.inFlight == 2)
        #expect(guarded.snapshot.rejectedAtCapacity == 1)
        release.signal()
        release.signal()
        finished.wait()
        #expect(guarded.snapshot.inFlight == 0)
        #expect(guarded.snapshot.succeeded == 2)
    }

    @Test func theCircuitOpensAfterRepeatedFailuresAndOneProbeDecides() throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let failing = Mutex(true)
        let base = FakeTransport { _ throws(TransportError) in
            if failing.withLock({ $0 }) { throw .timedOut }
            return .json("{}")
        }
        let guarded = GuardedTransport(base, target: "dintero", maxConcurrent: 4, failureThreshold: 3, openSeconds: 10, now: { clock.now() })
        for _ in 0..<3 { #expect(throws: TransportError.timedOut) { try guarded.send(request) } }
        #expect(guarded.snapshot.circuit == .open)
        #expect(throws: TransportError.circuitOpen(retryAfter: 10)) { try guarded.send(request) }
        #expect(base.sentRequests.count == 3, "an open circuit sends nothing")
        clock.advance(by: 10)
        #expect(guarded.snapshot.circuit == .halfOpen)
        #expect(throws: TransportError.timedOut) { try guarded.send(request) }  // the probe fails...
        #expect(guarded.snapshot.circuit == .open)  // ...and reopens at once
        clock.advance(by: 10)
        failing.withLock { $0 = false }
        #expect(try guarded.send(request).status == 200)  // the probe succeeds...
        #expect(guarded.snapshot.circuit == .closed)  // ...and closes it
        // A 5xx counts as a failure too.
        let errors = GuardedTransport(FakeTransport { _ in .json("{}", status: 503) }, target: "p", maxConcurrent: 1, failureThreshold: 2, now: { clock.now() })
        _ = try errors.send(request)
        _ = try errors.send(request)
        #expect(errors.snapshot.circuit == .open)
    }
}
