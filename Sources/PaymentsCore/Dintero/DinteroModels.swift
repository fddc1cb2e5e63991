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

    /// The `sessions-profile` request body.
    func body(profileID: String) -> JSONValue {
        .object([
            ("url", .object([("return_url", .string(returnURL)), ("callback_url", .string(callbackURL))])),
            ("order", .object([
                ("amount", .int(amount)),
                ("currency", .string(currency)),
                ("merchant_reference", .string(merchantReference)),
            ])),
            ("profile_id", .string(profileID)),
        ])
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

    /// Reads a transaction document; nil when a required field is missing or mistyped.
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let status = json["status"]?.stringValue,
              let amount = json["amount"]?.integerValue, let currency = json["currency"]?.stringValue else { return nil }
        self.init(
            id: id,
            status: status,
            amount: amount,
            currency: currency,
            merchantReference: json["merchant_reference"]?.stringValue,
            sessionID: json["session_id"]?.stringValue
        )
    }
}
