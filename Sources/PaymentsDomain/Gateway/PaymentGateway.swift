/// What the service asks Dintero to create.
public struct SessionRequest: Sendable, Equatable {
    public var amount: Int64
    public var currency: String
    public var merchantReference: String
    public var returnURL: String
    public var callbackURL: String

    /// Creates a session request.
    public init(amount: Int64, currency: String, merchantReference: String, returnURL: String, callbackURL: String) {
        self.amount = amount
        self.currency = currency
        self.merchantReference = merchantReference
        self.returnURL = returnURL
        self.callbackURL = callbackURL
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
    public var id: String
    public var status: String
    public var amount: Int64
    public var currency: String
    public var merchantReference: String?
    public var sessionID: String?

    /// Creates a transaction value.
    public init(id: String, status: String, amount: Int64, currency: String, merchantReference: String?, sessionID: String?) {
        self.id = id
        self.status = status
        self.amount = amount
        self.currency = currency
        self.merchantReference = merchantReference
        self.sessionID = sessionID
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

    /// Creates a session value.
    public init(id: String, merchantReference: String?, transactionID: String? = nil, cancelledAt: String? = nil, events: [String] = []) {
        self.id = id
        self.merchantReference = merchantReference
        self.transactionID = transactionID
        self.cancelledAt = cancelledAt
        self.events = events
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
}
