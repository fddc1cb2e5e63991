import Dintero
import PaymentsAPI
import ServiceSupport

extension PaymentsConfiguration {
    /// Reads `PAY_PATH`, `PAYMENTS_CURRENCY`, `PROVIDER_URL`, `PROVIDER_API_KEY(_FILE)`,
    /// `PROVIDER_TIMEOUT_SECONDS`.
    public static func from(_ environment: Environment, publicBaseURL: String) throws -> PaymentsConfiguration {
        try PaymentsConfiguration(
            payPath: environment.string("PAY_PATH") ?? "\(publicBaseURL)/payments/\(placeholder)/pay",
            providerURL: try environment.baseURL("PROVIDER_URL", default: "\(DinteroConfiguration.Sandbox.defaults.baseURL)/provider"),
            providerAPIKey: try environment.secret("PROVIDER_API_KEY"),
            providerTimeout: try environment.seconds("PROVIDER_TIMEOUT_SECONDS", default: 10, in: 0.1...120),
            currency: try currency(environment)
        )
    }

    private static func currency(_ environment: Environment) throws -> String {
        let code = environment.string("PAYMENTS_CURRENCY") ?? "GBP"
        guard code.count == 3, code.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw ConfigurationError("PAYMENTS_CURRENCY must be a 3-letter upper-case ISO 4217 code such as GBP, got \"\(code)\"")
        }
        return code
    }
}
