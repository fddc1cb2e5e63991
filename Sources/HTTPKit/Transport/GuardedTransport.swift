import Foundation
import Synchronization

/// Wraps a transport to one outbound target (Dintero, the card provider) with a bulkhead and
/// a circuit breaker, so a slow or failing target can never hold every accept thread:
/// - **bulkhead**: at most `maxConcurrent` calls in flight per process; one more fails at once
///   with ``TransportError/atCapacity`` instead of waiting;
/// - **circuit breaker**: after `failureThreshold` consecutive failures (timeouts, connection
///   errors, 5xx) calls fail at once with ``TransportError/circuitOpen(retryAfter:)`` for
///   `openSeconds`; then one probe call is let through, and its outcome closes or reopens it.
public final class GuardedTransport: HTTPTransport {
    /// The breaker's state, for status pages and metrics.
    public enum CircuitState: String, Sendable {
        case closed, open, halfOpen = "half-open"
    }

    /// What a guard has seen, for status pages and metrics.
    public struct Snapshot: Sendable {
        public var target: String
        public var inFlight: Int
        public var maxConcurrent: Int
        public var circuit: CircuitState
        public var rejectedAtCapacity: Int
        public var rejectedCircuitOpen: Int
        /// Answered with a status below 500.
        public var succeeded: Int
        /// Answered with a 5xx.
        public var serverErrors: Int
        /// No answer within the timeout.
        public var timedOut: Int
        /// Connection refused or broken.
        public var unreachable: Int

        /// Calls by outcome, as the `outcome` label of the outbound-calls metric.
        public var outcomes: KeyValuePairs<String, Int> {
            [
                "ok": succeeded, "server_error": serverErrors, "timeout": timedOut, "unreachable": unreachable,
                "rejected_at_capacity": rejectedAtCapacity, "rejected_circuit_open": rejectedCircuitOpen,
            ]
        }
    }

    private struct State {
        var inFlight = 0
        var consecutiveFailures = 0
        var openUntil: Date?
        var probing = false
        var rejectedAtCapacity = 0
        var rejectedCircuitOpen = 0
        var succeeded = 0
        var serverErrors = 0
        var timedOut = 0
        var unreachable = 0
    }

    private let base: HTTPTransport
    private let state = Mutex(State())
    /// Names the target in snapshots.
    public let target: String
    let maxConcurrent: Int
    let failureThreshold: Int
    let openSeconds: Double
    let now: @Sendable () -> Date

    /// Guards `base`.
    public init(
        _ base: HTTPTransport, target: String, maxConcurrent: Int, failureThreshold: Int = 5, openSeconds: Double = 15,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.base = base
        self.target = target
        self.maxConcurrent = maxConcurrent
        self.failureThreshold = failureThreshold
        self.openSeconds = openSeconds
        self.now = now
    }

    public func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        try admit()
        let result: Result<TransportResponse, TransportError>
        do {
            result = .success(try base.send(request))
        } catch {
            result = .failure(error)
        }
        record(result)
        return try result.get()
    }

    /// The current counters and state.
    public var snapshot: Snapshot {
        let current = now()
        return state.withLock { state in
            Snapshot(
                target: target, inFlight: state.inFlight, maxConcurrent: maxConcurrent,
                circuit: Self.circuit(state, at: current), rejectedAtCapacity: state.rejectedAtCapacity,
                rejectedCircuitOpen: state.rejectedCircuitOpen, succeeded: state.succeeded, serverErrors: state.serverErrors,
                timedOut: state.timedOut, unreachable: state.unreachable
            )
        }
    }

    private func admit() throws(TransportError) {
        let current = now()
        let refusal: TransportError? = state.withLock { state in
            switch Self.circuit(state, at: current) {
            case .open:
                state.rejectedCircuitOpen += 1
                return .circuitOpen(retryAfter: max(1, Int((state.openUntil!.timeIntervalSince(current)).rounded(.up))))
            case .halfOpen:
                // One probe at a time decides whether the target is back.
                guard !state.probing else {
                    state.rejectedCircuitOpen += 1
                    return .circuitOpen(retryAfter: 1)
                }
                state.probing = true
            case .closed:
                break
            }
            guard state.inFlight < maxConcurrent else {
                state.rejectedAtCapacity += 1
                if state.probing { state.probing = false }
                return .atCapacity
            }
            state.inFlight += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    private func record(_ result: Result<TransportResponse, TransportError>) {
        let current = now()
        state.withLock { state in
            state.inFlight -= 1
            let wasProbe = state.probing
            state.probing = false
            var failed = true
            switch result {
            case .success(let response) where response.status.isServerError: state.serverErrors += 1
            case .success: failed = false
            case .failure(.timedOut): state.timedOut += 1
            case .failure: state.unreachable += 1
            }
            if failed {
                state.consecutiveFailures += 1
                if wasProbe || state.consecutiveFailures >= failureThreshold {
                    state.openUntil = current + openSeconds
                }
            } else {
                state.succeeded += 1
                state.consecutiveFailures = 0
                state.openUntil = nil
            }
        }
    }

    private static func circuit(_ state: State, at time: Date) -> CircuitState {
        guard let openUntil = state.openUntil else { return .closed }
        return time < openUntil ? .open : .halfOpen
    }
}
