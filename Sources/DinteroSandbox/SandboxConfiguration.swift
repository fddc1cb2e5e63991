import Dintero
import HTTPKit
import ServiceSupport

/// Sandbox settings, from `SANDBOX_*` variables; credentials default to the ones the worker
/// uses when no Dintero credentials are configured.
struct SandboxConfiguration: Sendable {
    var accountID: String
    var clientID: String
    var clientSecret: String
    /// The sandbox's own URL as clients reach it (session page URLs are built from it).
    var publicURL: String
    var tokenLifetime: Int
    /// Delay before the first callback attempt, so the shopper's redirect and the callback
    /// arrive close together as they do with Dintero.
    var callbackDelay: Double
    var callbackAttempts: Int
    /// Delivers callbacks to `https://` URLs only, as Dintero does (`SANDBOX_CALLBACKS_HTTPS_ONLY`).
    var callbacksHTTPSOnly: Bool
    /// Where to record every API exchange and callback, for the contract test (`SANDBOX_RECORD`).
    var recordPath: String?
    /// Signs callbacks (`Dintero-Signature`) when set (`SANDBOX_CALLBACK_SECRET(_FILE)`).
    var callbackSecret: String?

    static func from(_ environment: Environment) throws -> SandboxConfiguration {
        let defaults = DinteroConfiguration.Sandbox.defaults
        return SandboxConfiguration(
            accountID: environment.string("SANDBOX_ACCOUNT_ID") ?? defaults.accountID,
            clientID: environment.string("SANDBOX_CLIENT_ID") ?? defaults.clientID,
            clientSecret: try environment.secret("SANDBOX_CLIENT_SECRET") ?? defaults.clientSecret,
            publicURL: try environment.baseURL("SANDBOX_PUBLIC_URL", default: defaults.baseURL),
            tokenLifetime: try environment.integer("SANDBOX_TOKEN_TTL", default: 14_400, in: 1...86_400),
            callbackDelay: try environment.seconds("SANDBOX_CALLBACK_DELAY_SECONDS", default: 0.2, in: 0...60),
            // Dintero retries a callback up to 20 times.
            callbackAttempts: try environment.integer("SANDBOX_CALLBACK_ATTEMPTS", default: 20, in: 0...50),
            callbacksHTTPSOnly: try environment.choice("SANDBOX_CALLBACKS_HTTPS_ONLY", of: ["0", "1"], default: "0") == "1",
            recordPath: environment.string("SANDBOX_RECORD"),
            callbackSecret: try environment.secret("SANDBOX_CALLBACK_SECRET")
        )
    }
}
