/// What the service asks Dintero to create.
public struct SessionRequest: Sendable, Equatable {
    public var amount: Int64
    public var currency: String
    public var merchantReference: String
    public var returnURL: String
    public var callbackURL: String
    /// When the session stops accepting payment, epoch milliseconds.
    public var expiresAt: Int64?

    /// Creates a session request.
    public init(amount: Int64, currency: String, merchantReference: String, returnURL: String, callbackURL: String, expiresAt: Int64? = nil) {
        self.amount = amount
        self.currency = currency
        self.merchantReference = merchantReference
        self.returnURL = returnURL
        self.callbackURL = callbackURL
        self.expiresAt = expiresAt
    }
}

/// A created Checkout session: its id and the hosted payment page.
public struct CheckoutSession: Sendable, Equatable {
    public var id: String
    public var url: String

    /// Creates a session value.
    public init(id: String, url: String) {
        self.id = id
        self.url = url
    }
}

/// The fields of a Dintero transaction the service verifies.
public struct DinteroTransaction: Sendable, Equatable {
    /// One entry of the transaction's `events`: an operation and how it went.
    public struct Event: Sendable, Equatable {
        /// `AUTHORIZE`, `CAPTURE`, `REFUND`, `VOID`, …
        public var name: String
        public var success: Bool
        public var amount: Int64?
        /// The reference the merchant sent with the operation (`capture_reference`, …).
        public var reference: String?
        /// The `event-request-id` of an operation Dintero answered with 202.
        public var correlationID: String?

        public init(name: String, success: Bool, amount: Int64?, reference: String? = nil, correlationID: String? = nil) {
            self.name = name
            self.success = success
            self.amount = amount
            self.reference = reference
            self.correlationID = correlationID
        }
    }

    public var id: String
    public var status: String
    public var amount: Int64
    public var currency: String
    public var merchantReference: String?
    public var sessionID: String?
    /// Oldest first.
    public var events: [Event]

    /// Creates a transaction value.
    public init(id: String, status: String, amount: Int64, currency: String, merchantReference: String?, sessionID: String?, events: [Event] = []) {
        self.id = id
        self.status = status
        self.amount = amount
        self.currency = currency
        self.merchantReference = merchantReference
        self.sessionID = sessionID
        self.events = events
    }

    /// Sum of the successful CAPTURE events.
    public var capturedAmount: Int64 { total("CAPTURE") }
    /// Sum of the successful REFUND events.
    public var refundedAmount: Int64 { total("REFUND") }

    private func total(_ name: String) -> Int64 {
        events.reduce(0) { $0 + ($1.success && $1.name == name ? ($1.amount ?? 0) : 0) }
    }

    /// The event an operation of ours caused: found by the reference we sent, or by the
    /// request id Dintero gave a 202 answer.
    public func event(reference: String, correlationID: String?) -> Event? {
        events.last { $0.reference == reference || (correlationID != nil && $0.correlationID == correlationID) }
    }
}

/// What Dintero did with a capture, refund or void.
public enum OperationAnswer: Sendable, Equatable {
    /// Done (200): the transaction afterwards.
    case completed(DinteroTransaction)
    /// Accepted for processing (202); the completing event will carry this correlation id.
    case accepted(requestID: String?)
}

/// A capture, refund or void as sent to Dintero.
public struct OperationRequest: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case capture, refund, void
        /// The transaction event name of this operation.
        public var eventName: String { rawValue.uppercased() }
    }
    public var kind: Kind
    public var transactionID: String
    /// Nil for a void.
    public var amount: Int64?
    /// Our operation id, sent as `capture_reference` / `refund_reference`.
    public var reference: String
    /// Refund reason.
    public var reason: String?

    public init(kind: Kind, transactionID: String, amount: Int64?, reference: String, reason: String? = nil) {
        self.kind = kind
        self.transactionID = transactionID
        self.amount = amount
        self.reference = reference
        self.reason = reason
    }
}

/// A Checkout session as Dintero reports it (`GET /v1/sessions/{id}`): how a shopper's
/// `error=cancelled`, or an order that never came back, is verified.
public struct DinteroSession: Sendable, Equatable {
    public var id: String
    public var merchantReference: String?
    /// The session's one transaction, once the shopper paid.
    public var transactionID: String?
    /// When the session was cancelled (by the shopper or the merchant), ISO 8601.
    public var cancelledAt: String?
    /// Event names, oldest first (`INITIATED`, `VISITED`, `CANCELLED`, `FAILED`, …).
    public var events: [String]
    /// When the session stops accepting payment, ISO 8601.
    public var expiresAt: String?

    /// Creates a session value.
    public init(id: String, merchantReference: String?, transactionID: String? = nil, cancelledAt: String? = nil, events: [String] = [], expiresAt: String? = nil) {
        self.id = id
        self.merchantReference = merchantReference
        self.transactionID = transactionID
        self.cancelledAt = cancelledAt
        self.events = events
        self.expiresAt = expiresAt
    }

    /// True when Dintero records the session as cancelled.
    public var isCancelled: Bool { cancelledAt != nil || events.contains("CANCELLED") }

    /// True when Dintero records a failed or declined attempt and no transaction.
    public var hasFailed: Bool { transactionID == nil && events.contains { $0 == "FAILED" || $0 == "DECLINED" } }
}

/// The Dintero Checkout calls the domain needs; implemented by the `Dintero` adapter.
///
/// Calls block the calling thread (a dedicated accept thread, never the concurrency pool).
public protocol PaymentGateway: Sendable {
    /// Creates a Checkout session (`POST /v1/sessions-profile`).
    func createSession(_ request: SessionRequest) throws(DinteroError) -> CheckoutSession
    /// Fetches a transaction (`GET /v1/transactions/{id}`); nil when Dintero does not know it.
    func transaction(id: String) throws(DinteroError) -> DinteroTransaction?
    /// Fetches a session (`GET /v1/sessions/{id}`); nil when Dintero does not know it.
    func session(id: String) throws(DinteroError) -> DinteroSession?
    /// Captures, refunds or voids (`POST /v1/transactions/{id}/capture|refund|void`).
    func perform(_ operation: OperationRequest) throws(DinteroError) -> OperationAnswer
    /// Cancels an unpaid session (`POST /v1/sessions/{id}/cancel`); the session afterwards.
    func cancelSession(id: String) throws(DinteroError) -> DinteroSession
}
