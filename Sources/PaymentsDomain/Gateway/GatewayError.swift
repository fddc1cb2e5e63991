/// Why a call to the payment provider did not give a usable answer.
public enum GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer in time.
    case timedOut
    /// Could not connect, or the connection broke.
    case unreachable(String)
    /// Dintero answered 5xx.
    case serverError(status: Int)
    /// Dintero refused the request (4xx other than a 401 that a new token fixed).
    case rejected(status: Int, message: String)
    /// The credentials were refused when asking for a token.
    case authenticationFailed(status: Int)
    /// The answer was not the JSON shape the contract promises.
    case invalidResponse(String)
    /// Not done, and safe to retry after this many seconds: this process's Dintero calls are
    /// at capacity or paused after repeated failures, no access token could be had (so the
    /// call was never sent), or Dintero answered 429 (not processed).
    case busy(retryAfter: Int)

    /// What a client of this service may be told: the kind of failure and Dintero's status,
    /// never Dintero's own error text (it can carry markup or internal names; it is logged).
    public var summary: String {
        switch self {
        case .rejected(let status, _): return "Dintero refused the request (\(status))"
        case .unreachable: return "Dintero is unreachable"
        case .invalidResponse: return "Dintero sent an invalid response"
        default: return description
        }
    }

    /// True when Dintero answered that the request itself is wrong (a 4xx other than a 401
    /// that a new token fixed): retrying the same request cannot help.
    public var isRejection: Bool {
        if case .rejected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .timedOut: return "Dintero did not answer in time"
        case .unreachable(let reason): return "Dintero is unreachable (\(reason))"
        case .serverError(let status): return "Dintero answered \(status)"
        case .rejected(let status, let message): return "Dintero refused the request (\(status): \(message))"
        case .authenticationFailed(let status): return "Dintero refused the API credentials (\(status))"
        case .invalidResponse(let reason): return "Dintero sent an invalid response (\(reason))"
        case .busy(let seconds): return "Dintero was not asked or did not process the call (at capacity, paused after repeated failures, no access token, or 429); retry in \(seconds) s"
        }
    }
}
