/// What the service asks the provider to create: the shopper comes back to `returnURL`, the
/// provider reports to `callbackURL` (both routes of this service).
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

/// A payment transaction as the provider reports it, in the domain's terms: the fields the
/// service verifies an order's payment with.
public struct GatewayTransaction: Sendable, Equatable {
    /// One operation on the transaction and how it went.
    public struct Event: Sendable, Equatable {
        /// The capture, refund or void this event records; nil for the authorization and
        /// anything else.
        public var operation: OperationRequest.Kind?
        public var success: Bool
        public var amount: Int64?
        /// The reference the merchant sent with the operation.
        public var reference: String?
        /// The request id of an operation the provider accepted for later (202).
        public var correlationID: String?

        public init(operation: OperationRequest.Kind?, success: Bool, amount: Int64?, reference: String? = nil, correlationID: String? = nil) {
            self.operation = operation
            self.success = success
            self.amount = amount
            self.reference = reference
            self.correlationID = correlationID
        }
    }

    public var id: String
    /// The order status the transaction's status means; nil for a status this build does not
    /// know (``reportedStatus`` says which).
    public var status: OrderStatus?
    /// The status as the provider wrote it, for logs.
    public var reportedStatus: String
    public var amount: Int64
    public var currency: String
    public var merchantReference: String?
    public var sessionID: String?
    /// Oldest first.
    public var events: [Event]

    /// Creates a transaction value; `reportedStatus` defaults to the status's own name.
    public init(
        id: String, status: OrderStatus?, reportedStatus: String? = nil, amount: Int64, currency: String, merchantReference: String?,
        sessionID: String?, events: [Event] = []
    ) {
        self.id = id
        self.status = status
        self.reportedStatus = reportedStatus ?? status?.rawValue ?? "unknown"
        self.amount = amount
        self.currency = currency
        self.merchantReference = merchantReference
        self.sessionID = sessionID
        self.events = events
    }

    /// Sum of the successful captures.
    public var capturedAmount: Int64 { total(.capture) }
    /// Sum of the successful refunds.
    public var refundedAmount: Int64 { total(.refund) }

    private func total(_ operation: OperationRequest.Kind) -> Int64 {
        events.reduce(0) { $0 + ($1.success && $1.operation == operation ? ($1.amount ?? 0) : 0) }
    }

    /// The event an operation of ours caused: found by the reference we sent, or by the
    /// request id the provider gave a 202 answer.
    public func event(reference: String, correlationID: String?) -> Event? {
        events.last { $0.reference == reference || (correlationID != nil && $0.correlationID == correlationID) }
    }
}

/// What the provider did with a capture, refund or void.
public enum OperationAnswer: Sendable, Equatable {
    /// Done (200): the transaction afterwards.
    case completed(GatewayTransaction)
    /// Accepted for processing (202); the completing event will carry this correlation id.
    case accepted(requestID: String?)
}

/// A capture, refund or void as sent to the provider.
public struct OperationRequest: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case capture, refund, void
    }
    public var kind: Kind
    public var transactionID: String
    /// Nil for a void.
    public var amount: Int64?
    /// Our operation id, sent with the operation so that its event can be found.
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

/// A checkout session as the provider reports it: how a shopper's `error=cancelled`, or an
/// order that never came back, is verified.
public struct GatewaySession: Sendable, Equatable {
    public var id: String
    public var merchantReference: String?
    /// The session's one transaction, once the shopper paid.
    public var transactionID: String?
    /// The session was cancelled (by the shopper or the merchant).
    public var isCancelled: Bool
    /// A payment attempt failed or was declined, and there is no transaction.
    public var hasFailed: Bool
    /// When the session stops accepting payment, epoch milliseconds.
    public var expiresAt: Int64?

    /// Creates a session value.
    public init(id: String, merchantReference: String?, transactionID: String? = nil, isCancelled: Bool = false, hasFailed: Bool = false, expiresAt: Int64? = nil) {
        self.id = id
        self.merchantReference = merchantReference
        self.transactionID = transactionID
        self.isCancelled = isCancelled
        self.hasFailed = hasFailed
        self.expiresAt = expiresAt
    }
}

/// The payment provider's checkout calls the domain needs, in its own terms; implemented by
/// the `Dintero` adapter (which alone knows Dintero's paths, documents and status names).
///
/// Calls block the calling thread (a dedicated accept thread, never the concurrency pool).
public protocol PaymentGateway: Sendable {
    /// Creates a checkout session.
    func createSession(_ request: SessionRequest) throws(GatewayError) -> CheckoutSession
    /// Fetches a transaction; nil when the provider does not know it.
    func transaction(id: String) throws(GatewayError) -> GatewayTransaction?
    /// Fetches a session; nil when the provider does not know it.
    func session(id: String) throws(GatewayError) -> GatewaySession?
    /// Captures, refunds or voids.
    func perform(_ operation: OperationRequest) throws(GatewayError) -> OperationAnswer
    /// Cancels an unpaid session; the session afterwards.
    func cancelSession(id: String) throws(GatewayError) -> GatewaySession
}
