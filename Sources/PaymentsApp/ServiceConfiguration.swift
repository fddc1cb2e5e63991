import Foundation
import Dintero
import PaymentsAPI
import PaymentsDomain
import ServiceSupport

/// Everything the worker reads from its environment.
public struct ServiceConfiguration: Sendable {
    /// Where orders and payments are kept (`DATABASE_URL(_FILE)` for PostgreSQL, else the
    /// SQLite file `ORDERS_DB`).
    public var storage: Storage
    /// The URL shoppers and Dintero reach this service at (return and callback URLs).
    public var publicBaseURL: String
    /// Limits for new orders.
    public var orderRules: CreateOrderInput.Rules
    /// Dintero account and endpoints.
    public var dintero: DinteroConfiguration
    /// Largest request body read, in bytes.
    public var maxBodyBytes: Int
    /// The /payments broker.
    public var payments: PaymentsConfiguration
    /// Keys for the merchant endpoints of both APIs (`PAYMENTS_API_KEY(_FILE)`, comma-separated).
    public var apiKeys: APIKeys
    /// The merchant's name and shop URL on shopper pages (`MERCHANT_NAME`, `SHOP_URL`).
    public var branding: ShopBranding
    /// Requests that wait on an outbound call (Dintero, the card provider) in flight per
    /// worker process, each on a thread of its own off the accept threads
    /// (`OUTBOUND_CONCURRENCY`, default 1,024).
    public var outboundConcurrency: Int
    /// How many more such requests may wait for one of those threads (`OUTBOUND_QUEUE`,
    /// default 1,024), and for how long before a 503 (`OUTBOUND_QUEUE_SECONDS`, default 5).
    public var outboundQueue: Int
    public var outboundQueueSeconds: Double
    /// Database connections those requests share per worker (`OUTBOUND_DB_CONNECTIONS`,
    /// default 4): they hold one only for a store call, never while waiting on Dintero.
    public var outboundDatabaseConnections: Int
    /// Consecutive failed outbound calls that open a target's circuit (`CIRCUIT_FAILURES`).
    public var circuitFailures: Int
    /// How long an open circuit fails calls at once before one probe (`CIRCUIT_OPEN_SECONDS`).
    public var circuitOpenSeconds: Double
    /// How long idempotency keys are kept, seconds (`IDEMPOTENCY_TTL_SECONDS`, default 24 h).
    public var idempotencyTTL: Double
    /// How often the supervisor's sweeper runs, seconds (`SWEEP_INTERVAL_SECONDS`, default 30).
    public var sweepInterval: Double
    /// After how long an order still `CREATED` is given up as `SESSION_FAILED`, seconds
    /// (`STALE_CREATE_SECONDS`; default three Dintero timeouts plus 30 s: token, session and
    /// one retry can each take a full timeout).
    public var staleCreateAfter: Double
    /// How long a Checkout session accepts payment, seconds (`SESSION_EXPIRES_SECONDS`, its `expires_at`).
    public var sessionLifetime: Double
    /// When set (`DINTERO_CALLBACK_SECRET(_FILE)`), callbacks must carry a valid `Dintero-Signature`.
    public var callbackSignature: CallbackSignature?
    /// How the sweeper brings orders up to date from Dintero (`RECONCILE_*_SECONDS`).
    public var reconcile: OrderService.ReconcilePolicy
    /// How often the supervisor looks at the WAL's size, seconds (`WAL_CHECKPOINT_SECONDS`).
    public var walCheckpointInterval: Double
    /// WAL size past which it is checkpointed and started again from its beginning
    /// (`WAL_RESTART_BYTES`, default 16 MiB).
    public var walRestartBytes: Int
    /// WAL size past which the workers' writes pause briefly so that the checkpointer catches
    /// up (`WAL_PAUSE_BYTES`, default 40 MiB; 0: never).
    public var walPauseBytes: Int

    /// Reads the configuration; the error names the setting at fault.
    public static func from(_ environment: Environment) throws -> ServiceConfiguration {
        var rules = CreateOrderInput.Rules()
        if let list = environment.string("ORDER_CURRENCIES") {
            let codes = Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
            guard !codes.isEmpty, codes.allSatisfy({ $0.count == 3 && $0.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) } }) else {
                throw ConfigurationError("ORDER_CURRENCIES must be a comma-separated list of 3-letter codes, got \"\(list)\"")
            }
            rules.currencies = codes
        }
        rules.maximumAmount = Int64(try environment.integer("ORDER_MAX_AMOUNT", default: Int(rules.maximumAmount), in: 1...Int(Int32.max)))
        let publicBaseURL = try environment.baseURL("PUBLIC_BASE_URL", default: "http://localhost:3000")
        let dintero = try DinteroConfiguration.from(environment)
        try Self.checkCallbacksCanArrive(publicBaseURL: publicBaseURL, usesSandbox: DinteroConfiguration.usesSandbox(environment))
        return ServiceConfiguration(
            storage: try Storage.from(environment),
            publicBaseURL: publicBaseURL,
            orderRules: rules,
            dintero: dintero,
            maxBodyBytes: try environment.integer("MAX_BODY_BYTES", default: 16 * 1024, in: 1024...(1024 * 1024)),
            payments: try PaymentsConfiguration.from(environment, publicBaseURL: publicBaseURL),
            apiKeys: try Self.apiKeys(environment, usesSandbox: DinteroConfiguration.usesSandbox(environment)),
            branding: ShopBranding(
                merchantName: environment.string("MERCHANT_NAME"),
                shopURL: try environment.string("SHOP_URL").map { _ in try environment.baseURL("SHOP_URL", default: "") }
            ),
            outboundConcurrency: try environment.integer("OUTBOUND_CONCURRENCY", default: 1_024, in: 1...16_384),
            outboundQueue: try environment.integer("OUTBOUND_QUEUE", default: 1_024, in: 0...65_536),
            outboundQueueSeconds: try environment.seconds("OUTBOUND_QUEUE_SECONDS", default: 5, in: 0.01...120),
            outboundDatabaseConnections: try environment.integer("OUTBOUND_DB_CONNECTIONS", default: 4, in: 1...256),
            circuitFailures: try environment.integer("CIRCUIT_FAILURES", default: 5, in: 1...1_000),
            circuitOpenSeconds: try environment.seconds("CIRCUIT_OPEN_SECONDS", default: 15, in: 0.1...3_600),
            idempotencyTTL: try environment.seconds("IDEMPOTENCY_TTL_SECONDS", default: 86_400, in: 60...(30 * 86_400)),
            sweepInterval: try environment.seconds("SWEEP_INTERVAL_SECONDS", default: 30, in: 0.1...3_600),
            staleCreateAfter: try environment.seconds("STALE_CREATE_SECONDS", default: 3 * dintero.timeout + 30, in: 1...86_400),
            sessionLifetime: try environment.seconds("SESSION_EXPIRES_SECONDS", default: 86_400, in: 1...(30 * 86_400)),
            callbackSignature: try environment.secret("DINTERO_CALLBACK_SECRET").map { CallbackSignature(secret: $0, accountID: dintero.accountID) },
            reconcile: OrderService.ReconcilePolicy(
                pendingAfter: try environment.seconds("RECONCILE_PENDING_AFTER_SECONDS", default: 900, in: 0.1...86_400),
                operationsAfter: try environment.seconds("RECONCILE_OPERATIONS_AFTER_SECONDS", default: 30, in: 0.1...86_400),
                paidEvery: try environment.seconds("RECONCILE_PAID_EVERY_SECONDS", default: 3_600, in: 0.1...(30 * 86_400))
            ),
            walCheckpointInterval: try environment.seconds("WAL_CHECKPOINT_SECONDS", default: 0.05, in: 0.01...60),
            walRestartBytes: try environment.integer("WAL_RESTART_BYTES", default: 16 << 20, in: 0...(1 << 30)),
            walPauseBytes: try environment.integer("WAL_PAUSE_BYTES", default: 40 << 20, in: 0...(1 << 30))
        )
    }

    /// Dintero delivers callbacks only to HTTPS URLs (its Checkout API: "Callback is only
    /// delivered to HTTPS URLs"): with real credentials an `http://` public URL would lose every
    /// callback silently, so start-up stops, unless the URL is a loopback one (a test against
    /// Dintero's test environment from one machine, where no callback can arrive anyway).
    static func checkCallbacksCanArrive(publicBaseURL: String, usesSandbox: Bool) throws {
        guard !usesSandbox, let url = URLComponents(string: publicBaseURL), url.scheme?.lowercased() == "http" else { return }
        let host = (url.host ?? "").lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" || host.hasPrefix("127.") { return }
        throw ConfigurationError(
            "PUBLIC_BASE_URL must be an https:// URL when Dintero credentials are configured (got \(publicBaseURL)): "
                + "Dintero delivers callbacks only to HTTPS URLs, so every payment callback would be lost"
        )
    }

    /// The settings that hold secrets (each may come from a `NAME_FILE`).
    static let secretSettings = ["PAYMENTS_API_KEY", "DINTERO_CLIENT_SECRET", "DINTERO_CALLBACK_SECRET", "DATABASE_URL", "PROVIDER_API_KEY"]

    /// The value of `PAYMENTS_API_KEY` that runs the merchant endpoints open on purpose
    /// with real Dintero credentials.
    public static let openOptIn = "none-i-understand"

    /// The merchant keys. Open endpoints are the default only against the local sandbox: with
    /// real Dintero credentials and no key, start-up stops unless the operator opted in.
    static func apiKeys(_ environment: Environment, usesSandbox: Bool) throws -> APIKeys {
        let list = try environment.secret("PAYMENTS_API_KEY")
        if list == Self.openOptIn { return APIKeys([]) }
        let keys = APIKeys(list: list)
        guard keys.isEmpty, !usesSandbox else { return keys }
        throw ConfigurationError(
            "PAYMENTS_API_KEY (or PAYMENTS_API_KEY_FILE) must be set when Dintero credentials are configured: "
                + "without it anyone who reaches the service can create, list and operate on orders. "
                + "Set PAYMENTS_API_KEY=\(Self.openOptIn) to run the merchant endpoints open on purpose."
        )
    }

    /// What this process runs with, for the start-up log: the store, the Dintero target and
    /// mode, how many API keys (never the keys), whether callbacks must be signed.
    public var summary: [(String, String)] {
        let sandbox = DinteroConfiguration.Sandbox.defaults
        let mode = dintero.clientID == sandbox.clientID && dintero.clientSecret == sandbox.clientSecret ? "local sandbox"
            : dintero.accountID.hasPrefix("P") ? "production" : "test"
        return [
            ("store", storage.description), ("dintero", dintero.apiBaseURL), ("dintero_mode", mode), ("account", dintero.accountID),
            ("api_keys", apiKeys.isEmpty ? "none (merchant endpoints open)" : String(apiKeys.count)),
            ("callback_signatures", callbackSignature == nil ? "not required" : "required"), ("public_base_url", publicBaseURL),
        ]
    }

    /// The order flows on one thread's store.
    public func orderService(store: OrderStore, gateway: PaymentGateway, clock: WallClock, log: Logger) -> OrderService {
        OrderService(
            store: store, gateway: gateway, routes: OrderReturnURLs(publicBaseURL: publicBaseURL), clock: clock, log: log,
            sessionLifetime: sessionLifetime, resendAfter: max(30, 3 * dintero.timeout)
        )
    }

    /// Says at start-up that the merchant endpoints are open when no API key is configured,
    /// and which secret files group or others can read (the supervisor, or a worker started
    /// alone, says it once).
    public func logSecurityWarnings(_ log: Logger, environment: Environment = Environment()) {
        for (name, path) in environment.looselyProtectedSecretFiles(Self.secretSettings) {
            log.warning("\(name) names \(path), which other users can read: make it readable by the service's user only (chmod 600)")
        }
        guard apiKeys.isEmpty else { return }
        log.warning("PAYMENTS_API_KEY is not set: the merchant endpoints of /orders and /payments (create, list, show) are open to anyone who can reach them")
    }
}
