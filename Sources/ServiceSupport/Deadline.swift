import Foundation

/// A moment a set time from now on the monotonic clock, for waits with a limit.
///
/// Wall-clock time (`Date`) can step: a fresh machine's first NTP sync or a resumed virtual
/// machine moves it by seconds at once, which ended a ten-second wait at its first check in CI.
/// The monotonic clock only moves forward, at the rate time passes.
public struct Deadline: Sendable {
    private let instant: ContinuousClock.Instant

    /// The moment `seconds` from now.
    public init(secondsFromNow seconds: TimeInterval) {
        instant = .now + .seconds(seconds)
    }

    /// True once the moment is reached.
    public var hasPassed: Bool { ContinuousClock.now >= instant }
}

/// The time since `start` on the monotonic clock, in seconds.
public func secondsSince(_ start: ContinuousClock.Instant) -> TimeInterval {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
