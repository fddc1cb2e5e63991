import Foundation
import PaymentsApp
import ServiceSupport
import Testing

/// Start-up fails closed: merchant endpoints are open only against the local sandbox or by an
/// explicit opt-in, and secret files readable by others are named.
@Suite struct SecuritySettingsTests {
    static let realDintero = ["DINTERO_CLIENT_ID": "client", "DINTERO_CLIENT_SECRET": "secret", "DINTERO_ACCOUNT_ID": "P00000001"]

    @Test func realCredentialsWithoutAKeyRefuseToStart() throws {
        let error = #expect(throws: ConfigurationError.self) { try ServiceConfiguration.from(Environment(Self.realDintero)) }
        #expect(error?.description.contains("PAYMENTS_API_KEY") == true)
        #expect(error?.description.contains("none-i-understand") == true)

        var optedIn = Self.realDintero
        optedIn["PAYMENTS_API_KEY"] = ServiceConfiguration.openOptIn
        #expect(try ServiceConfiguration.from(Environment(optedIn)).apiKeys.isEmpty)
        var keyed = Self.realDintero
        keyed["PAYMENTS_API_KEY"] = "k-0123456789"
        #expect(try !ServiceConfiguration.from(Environment(keyed)).apiKeys.isEmpty)
        // The local sandbox keeps the open default.
        #expect(try ServiceConfiguration.from(Environment([:])).apiKeys.isEmpty)
    }

    /// Dintero calls back only to HTTPS: with real credentials a plain-HTTP public URL stops
    /// start-up, naming the setting; loopback URLs (a local test) and the sandbox are allowed.
    @Test func realCredentialsNeedAnHTTPSPublicURL() throws {
        var plain = Self.realDintero
        plain["PAYMENTS_API_KEY"] = "k-0123456789"
        plain["PUBLIC_BASE_URL"] = "http://shop.example.com"
        let error = #expect(throws: ConfigurationError.self) { try ServiceConfiguration.from(Environment(plain)) }
        #expect(error?.description.contains("PUBLIC_BASE_URL") == true && error?.description.contains("HTTPS") == true)
        for allowed in ["https://shop.example.com", "http://127.0.0.1:3000", "http://localhost:3000", "http://[::1]:3000"] {
            plain["PUBLIC_BASE_URL"] = allowed
            #expect(throws: Never.self, "\(allowed)") { try ServiceConfiguration.from(Environment(plain)) }
        }
        #expect(throws: Never.self) { try ServiceConfiguration.from(Environment(["PUBLIC_BASE_URL": "http://shop.example.com"])) }
    }

    /// The start-up summary says what is loaded (how many keys, which Dintero, which store),
    /// never a secret.
    @Test func theStartUpSummaryNamesNoSecret() throws {
        var environment = Self.realDintero
        environment["PAYMENTS_API_KEY"] = "key-one-0123456789,key-two-0123456789"
        environment["DATABASE_URL"] = "postgres://app:db-password@db.internal:5432/payments"
        let summary = Dictionary(try ServiceConfiguration.from(Environment(environment)).summary, uniquingKeysWith: { a, _ in a })
        #expect(summary["api_keys"] == "2")
        #expect(summary["dintero_mode"] == "production")
        #expect(summary["account"] == "P00000001")
        #expect(summary["store"]?.contains("db.internal") == true)
        let text = summary.values.joined(separator: " ")
        for secret in ["key-one", "key-two", "db-password", "secret"] { #expect(!text.contains(secret), "\(secret) in \(text)") }
        #expect(Dictionary(try ServiceConfiguration.from(Environment([:])).summary, uniquingKeysWith: { a, _ in a })["dintero_mode"] == "local sandbox")
    }

    @Test func secretFilesReadableByOthersAreNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let strict = directory.appendingPathComponent("strict").path, loose = directory.appendingPathComponent("loose").path
        for (path, mode) in [(strict, 0o600), (loose, 0o640)] {
            try "k-0123456789".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
        let environment = Environment([
            "PAYMENTS_API_KEY_FILE": loose, "DINTERO_CLIENT_SECRET_FILE": strict, "ORDERS_DB": loose, "SSL_CERT_FILE": loose,
        ])
        let named = environment.looselyProtectedSecretFiles(["PAYMENTS_API_KEY", "DINTERO_CLIENT_SECRET"])
        #expect(named.map(\.name) == ["PAYMENTS_API_KEY_FILE"])
        #expect(named.map(\.path) == [loose])
    }
}
