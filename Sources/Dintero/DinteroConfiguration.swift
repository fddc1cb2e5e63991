import ServiceSupport

/// Where and as whom the service talks to Dintero.
public struct DinteroConfiguration: Sendable {
    /// Account id: `T…` in test, `P…` in production.
    public var accountID: String
    /// API client id (HTTP Basic user for the token call).
    public var clientID: String
    /// API client secret. Never logged.
    public var clientSecret: String
    /// Base of the auth API, `https://api.dintero.com`.
    public var apiBaseURL: String
    /// Base of the Checkout API, `https://checkout.dintero.com`.
    public var checkoutBaseURL: String
    /// Session profile used for `sessions-profile`.
    public var profileID: String
    /// Per-call timeout in seconds.
    public var timeout: Double

    /// Creates a configuration.
    public init(
        accountID: String,
        clientID: String,
        clientSecret: String,
        apiBaseURL: String,
        checkoutBaseURL: String,
        profileID: String = "default",
        timeout: Double = 10
    ) {
        self.accountID = accountID
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.apiBaseURL = apiBaseURL
        self.checkoutBaseURL = checkoutBaseURL
        self.profileID = profileID
        self.timeout = timeout
    }

    /// The token audience Dintero expects: the account URL under the API base.
    public var audience: String { "\(apiBaseURL)/v1/accounts/\(accountID)" }

    /// Reads `DINTERO_*` variables. Without client credentials, the local sandbox defaults
    /// apply (see docs/dintero.md), so a fresh checkout runs end to end offline.
    public static func from(_ environment: Environment) throws -> DinteroConfiguration {
        let clientID = environment.string("DINTERO_CLIENT_ID")
        let clientSecret = try environment.secret("DINTERO_CLIENT_SECRET")
        let usesSandbox = Self.usesSandbox(environment)
        guard usesSandbox || (clientID != nil && clientSecret != nil) else {
            throw ConfigurationError("DINTERO_CLIENT_ID and DINTERO_CLIENT_SECRET (or DINTERO_CLIENT_SECRET_FILE) must be set together")
        }
        let sandbox = Sandbox.defaults
        let accountID = environment.string("DINTERO_ACCOUNT_ID") ?? (usesSandbox ? sandbox.accountID : "")
        guard let first = accountID.first, first == "T" || first == "P", accountID.count > 1 else {
            throw ConfigurationError("DINTERO_ACCOUNT_ID must be set to an account id starting with T (test) or P (production)")
        }
        // Dintero's documentation: one API host for test (T…) and production (P…) accounts; the
        // account id selects the environment.
        return DinteroConfiguration(
            accountID: accountID,
            clientID: clientID ?? sandbox.clientID,
            clientSecret: clientSecret ?? sandbox.clientSecret,
            apiBaseURL: try environment.baseURL(
                "DINTERO_API_URL",
                default: usesSandbox ? sandbox.baseURL : "https://api.dintero.com"
            ),
            checkoutBaseURL: try environment.baseURL(
                "DINTERO_CHECKOUT_URL",
                default: usesSandbox ? sandbox.baseURL : "https://checkout.dintero.com"
            ),
            profileID: environment.string("DINTERO_PROFILE_ID") ?? "default",
            timeout: try environment.seconds("DINTERO_TIMEOUT_SECONDS", default: 10, in: 0.1...120)
        )
    }

    /// True when no Dintero client credentials are configured, so the local sandbox stands in
    /// (the one place that decides it, for the worker and for `make run`).
    public static func usesSandbox(_ environment: Environment) -> Bool {
        ["DINTERO_CLIENT_ID", "DINTERO_CLIENT_SECRET", "DINTERO_CLIENT_SECRET_FILE"].allSatisfy { environment.string($0) == nil }
    }

    /// The local sandbox's built-in account and credentials (not secrets: they only open the
    /// loopback sandbox).
    public struct Sandbox: Sendable {
        public let accountID: String
        public let clientID: String
        public let clientSecret: String
        public let baseURL: String

        /// The defaults `make run` and the sandbox agree on.
        public static let defaults = Sandbox(
            accountID: "T12345678",
            clientID: "sandbox-client",
            clientSecret: "sandbox-secret",
            baseURL: "http://127.0.0.1:3001"
        )
    }
}
