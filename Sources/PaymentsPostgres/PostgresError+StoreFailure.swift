import PaymentsDomain
import Postgres

/// A server that is down, restarting or failing over makes a request retryable (503).
extension PostgresError: StoreFailure {
    public var isUnavailable: Bool { isConnectionFailure }
}
