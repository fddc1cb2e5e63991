import Dintero
import Foundation
import HTTPKit
import PaymentsDomain
import ServiceSupport
import Testing
import TestSupport

@Suite struct DinteroClientTests {
    let configuration = DinteroConfiguration(
        accountID: "T11223344", clientID: "client-id", clientSecret: "s3cr3t-value",
        apiBaseURL: "https://test.dintero.com", checkoutBaseURL: "https://checkout.test.dintero.com", timeout: 3
    )
    let session = SessionRequest(amount: 29900, currency: "NOK", merchantReference: "order-1", returnURL: "https://shop/r", callbackURL: "https://shop/c")

    /// A Dintero stand-in: tokens numbered from 1, a session, and hooks to break things.
    final class Script: @unchecked Sendable {
        var tokensIssued = 0
        var tokenLifetime = 14_400
        var validTokens: Set<String> = []
        var sessionStatus = 200
        var sessionBody = #"{"id":"T11223344.abc","url":"https://checkout.test.dintero.com/v1/view/T11223344.abc"}"#
        var failure: TransportError?
        /// The next token requests answer this status (429 with Retry-After: 7, or a 5xx).
        var tokenStatus: Int?

        func respond(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
            if let failure { throw failure }
            if request.url.hasSuffix("/auth/token") {
                if let tokenStatus {
                    return TransportResponse(status: HTTPStatus(tokenStatus), body: Array(#"{"error":{"message":"slow down"}}"#.utf8), headers: [("Retry-After", "7")])
                }
                tokensIssued += 1
                let token = "token-\(tokensIssued)"
                validTokens.insert(token)
                return .json(#"{"access_token":"\#(token)","expires_in":\#(tokenLifetime),"token_type":"Bearer"}"#)
            }
            guard let bearer = request.header("Authorization"), validTokens.contains(String(bearer.dropFirst(7))) else {
                return .json(#"{"error":{"message":"expired"}}"#, status: 401)
            }
            if request.url.contains("/v1/transactions/") {
                if request.url.hasSuffix("/missing") { return .json(#"{"error":{"message":"not found"}}"#, status: 404) }
                return .json(#"{"id":"T1.tx","status":"AUTHORIZED","amount":29900,"currency":"NOK","merchant_reference":"order-1","session_id":"T1.s"}"#)
            }
            return .json(sessionBody, status: HTTPStatus(sessionStatus))
        }
    }

    func client(_ script: Script, clock: WallClock = SystemClock()) -> (DinteroClient, FakeTransport) {
        let transport = FakeTransport { request throws(TransportError) in try script.respond(request) }
        return (DinteroClient(configuration: configuration, transport: transport, clock: clock, log: testLog), transport)
    }

    @Test func tokenRequestFollowsTheContract() throws {
        let (client, transport) = client(Script())
        _ = try client.createSession(session)
        let tokenRequest = try #require(transport.requests(to: "/auth/token").first)
        #expect(tokenRequest.url == "https://test.dintero.com/v1/accounts/T11223344/auth/token")
        #expect(tokenRequest.method == "POST")
        #expect(tokenRequest.header("Authorization") == "Basic " + Data("client-id:s3cr3t-value".utf8).base64EncodedString())
        let body = try JSONValue.parse(tokenRequest.body ?? [])
        #expect(body["grant_type"]?.stringValue == "client_credentials")
        #expect(body["audience"]?.stringValue == "https://test.dintero.com/v1/accounts/T11223344")
    }

    @Test func sessionRequestFollowsTheContract() throws {
        let (client, transport) = client(Script())
        let created = try client.createSession(session)
        #expect(created == CheckoutSession(id: "T11223344.abc", url: "https://checkout.test.dintero.com/v1/view/T11223344.abc"))
        let request = try #require(transport.requests(to: "/v1/sessions-profile").first)
        #expect(request.url == "https://checkout.test.dintero.com/v1/sessions-profile")
        #expect(request.header("Authorization") == "Bearer token-1")
        #expect(request.timeout == 3)
        let body = try JSONValue.parse(request.body ?? [])
        #expect(body["url"]?["return_url"]?.stringValue == "https://shop/r")
        // Dintero is asked to call back for operations made elsewhere and for failed payments too.
        #expect(body["url"]?["callback_url"]?.stringValue == "https://shop/c?report_event=CAPTURE&report_event=REFUND&report_event=VOID&report_error=true")
        #expect(body["order"]?["amount"]?.integerValue == 29900)
        #expect(body["order"]?["currency"]?.stringValue == "NOK")
        #expect(body["order"]?["merchant_reference"]?.stringValue == "order-1")
        #expect(body["profile_id"]?.stringValue == "default")
    }

    @Test func tokenIsCachedAcrossCalls() throws {
        let script = Script()
        let (client, _) = client(script)
        for _ in 0..<5 { _ = try client.createSession(session) }
        _ = try client.transaction(id: "T1.tx")
        #expect(script.tokensIssued == 1)
    }

    @Test func tokenIsRefreshedBeforeItExpires() throws {
        let script = Script()
        script.tokenLifetime = 1000
        let clock = ManualClock(Date(timeIntervalSince1970: 1_700_000_000))
        let (client, _) = client(script, clock: clock)
        _ = try client.createSession(session)
        clock.advance(by: 850)  // 150 s left: more than the 100 s margin
        _ = try client.createSession(session)
        #expect(script.tokensIssued == 1)
        clock.advance(by: 60)  // 90 s left: inside the margin
        _ = try client.createSession(session)
        #expect(script.tokensIssued == 2)
    }

    @Test func a401RefreshesTheTokenOnceAndRetries() throws {
        let script = Script()
        let (client, transport) = client(script)
        _ = try client.createSession(session)
        script.validTokens.removeAll()  // Dintero revoked or expired the token early
        #expect(try client.transaction(id: "T1.tx")?.status == .authorized)
        #expect(script.tokensIssued == 2)
        #expect(transport.requests(to: "/v1/transactions/").count == 2)
    }

    @Test func a401AfterRefreshIsAnAuthenticationFailure() throws {
        let script = Script()
        let transport = FakeTransport { request throws(TransportError) in
            if request.url.hasSuffix("/auth/token") { return try script.respond(request) }
            return .json("{}", status: 401)
        }
        let client = DinteroClient(configuration: configuration, transport: transport, log: testLog)
        #expect(throws: GatewayError.authenticationFailed(status: 401)) { try client.createSession(session) }
        #expect(script.tokensIssued == 2)
    }

    @Test func refusedCredentialsDoNotLeakTheSecret() throws {
        let transport = FakeTransport { _ throws(TransportError) in .json(#"{"error":{"message":"bad"}}"#, status: 401) }
        let client = DinteroClient(configuration: configuration, transport: transport, log: testLog)
        let error = #expect(throws: GatewayError.self) { try client.createSession(session) }
        #expect(error == .authenticationFailed(status: 401))
        #expect(!(error?.description.contains("s3cr3t") ?? true))
    }

    @Test func unknownTransactionIsNil() throws {
        let (client, _) = client(Script())
        #expect(try client.transaction(id: "missing") == nil)
    }

    /// A 429 (the spec lists it) is "not processed, try later", from the token request or the
    /// call itself; a token request answered 5xx means the call was never sent. Neither is a
    /// refusal of the call.
    @Test func a429OrATokenFailureIsRetryableNotARefusal() throws {
        let script = Script()
        let (client, _) = client(script)
        script.tokenStatus = 429
        #expect(throws: GatewayError.busy(retryAfter: 7)) { try client.createSession(session) }
        script.tokenStatus = 502
        #expect(throws: GatewayError.busy(retryAfter: 2)) { try client.createSession(session) }
        script.tokenStatus = nil
        script.sessionStatus = 429
        #expect(throws: GatewayError.busy(retryAfter: 2)) { try client.createSession(session) }
        #expect(!GatewayError.busy(retryAfter: 2).isRejection)
    }

    @Test func serverErrorsTimeoutsAndBadJSONAreTyped() throws {
        let script = Script()
        let (client, _) = client(script)
        script.sessionStatus = 503
        #expect(throws: GatewayError.serverError(status: 503)) { try client.createSession(session) }
        script.sessionStatus = 422
        script.sessionBody = #"{"error":{"message":"amount too large"}}"#
        #expect(throws: GatewayError.rejected(status: 422, message: "amount too large")) { try client.createSession(session) }
        script.sessionStatus = 200
        script.sessionBody = "<html>oops</html>"
        #expect(throws: GatewayError.self) { try client.createSession(session) }
        script.sessionBody = #"{"id":"x"}"#
        #expect(throws: GatewayError.invalidResponse("session without id or url")) { try client.createSession(session) }
        script.failure = .timedOut
        #expect(throws: GatewayError.timedOut) { try client.createSession(session) }
        script.failure = .unreachable("connection refused")
        #expect(throws: GatewayError.unreachable("connection refused")) { try client.createSession(session) }
    }

    @Test func configurationReadsTheEnvironment() throws {
        let sandbox = try DinteroConfiguration.from(Environment([:]))
        #expect(sandbox.accountID == "T12345678")
        #expect(sandbox.apiBaseURL == "http://127.0.0.1:3001")
        let real = try DinteroConfiguration.from(Environment([
            "DINTERO_ACCOUNT_ID": "T11223344", "DINTERO_CLIENT_ID": "id", "DINTERO_CLIENT_SECRET": "secret",
        ]))
        #expect(real.apiBaseURL == "https://api.dintero.com")
        #expect(real.checkoutBaseURL == "https://checkout.dintero.com")
        #expect(real.audience == "https://api.dintero.com/v1/accounts/T11223344")
        #expect(throws: ConfigurationError.self) { try DinteroConfiguration.from(Environment(["DINTERO_CLIENT_ID": "id"])) }
        #expect(throws: ConfigurationError.self) {
            try DinteroConfiguration.from(Environment(["DINTERO_CLIENT_ID": "id", "DINTERO_CLIENT_SECRET": "s", "DINTERO_ACCOUNT_ID": "X1"]))
        }
    }

    @Test func secretCanComeFromAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        try "from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try DinteroConfiguration.from(Environment([
            "DINTERO_ACCOUNT_ID": "P123", "DINTERO_CLIENT_ID": "id", "DINTERO_CLIENT_SECRET_FILE": path,
        ]))
        #expect(configuration.clientSecret == "from-file")
        #expect(configuration.apiBaseURL == "https://api.dintero.com")
    }
}
