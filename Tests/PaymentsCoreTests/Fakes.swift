import Foundation
import PaymentsCore
import SQLite

/// A transport that answers from a script and records every request.
final class FakeTransport: HTTPTransport, @unchecked Sendable {
    typealias Responder = (TransportRequest) throws(TransportError) -> TransportResponse
    private let lock = NSLock()
    private var responder: Responder
    private(set) var requests: [TransportRequest] = []

    init(_ responder: @escaping Responder) { self.responder = responder }

    func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        let responder = lock.withLock { () -> Responder in
            requests.append(request)
            return self.responder
        }
        return try responder(request)
    }

    var sentRequests: [TransportRequest] { lock.withLock { requests } }
    func requests(to suffix: String) -> [TransportRequest] { sentRequests.filter { $0.url.hasSuffix(suffix) || $0.url.contains(suffix) } }
}

extension TransportResponse {
    static func json(_ text: String, status: Int = 200) -> TransportResponse {
        TransportResponse(status: status, body: Array(text.utf8))
    }
}

/// A gateway with scripted results, for controller tests.
final class FakeGateway: PaymentGateway, @unchecked Sendable {
    private let lock = NSLock()
    /// A failure to answer session creation with; nil issues sessions `T1.session-1`, `-2`, ...
    var sessionFailure: DinteroError?
    var transactions: [String: DinteroTransaction] = [:]
    var transactionError: DinteroError?
    private(set) var sessionRequests: [SessionRequest] = []

    func createSession(_ request: SessionRequest) throws(DinteroError) -> CheckoutSession {
        let (failure, count) = lock.withLock { sessionRequests.append(request); return (sessionFailure, sessionRequests.count) }
        if let failure { throw failure }
        return CheckoutSession(id: "T1.session-\(count)", url: "https://pay.example/v1/view/T1.session-\(count)")
    }

    func transaction(id: String) throws(DinteroError) -> DinteroTransaction? {
        let (error, transaction) = lock.withLock { (transactionError, transactions[id]) }
        if let error { throw error }
        return transaction
    }
}

/// A migrated database in a fresh temporary directory.
func temporaryStore() throws -> (SQLiteOrderStore, Connection) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("core-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let connection = try Schema.openAndMigrate(path: directory.appendingPathComponent("orders.sqlite").path)
    return (SQLiteOrderStore(connection: connection), connection)
}

func jsonRequest(_ method: String, _ path: String, body: String?, contentType: String? = "application/json", query: String = "", accept: String? = nil) -> HTTPRequest {
    var headers: [String: String] = [:]
    if let contentType { headers["Content-Type"] = contentType }
    if let accept { headers["Accept"] = accept }
    return HTTPRequest(method: method, path: path, query: query, headers: headers, body: Array((body ?? "").utf8))
}

func parse(_ response: HTTPResponse) throws -> JSONValue {
    try JSONValue.parse(response.body)
}

let testLog = Logger(label: "test", minimumLevel: .error)

/// A provider with a scripted outcome that records the charges it saw.
final class FakeProvider: PaymentProvider, @unchecked Sendable {
    private let lock = NSLock()
    var result: Result<ProviderOutcome, ProviderError> = .success(ProviderOutcome(approved: true, paymentID: "pay_1"))
    private(set) var charges: [ProviderCharge] = []

    func charge(_ charge: ProviderCharge) throws(ProviderError) -> ProviderOutcome {
        let result = lock.withLock { charges.append(charge); return self.result }
        return try result.get()
    }

    var chargeCount: Int { lock.withLock { charges.count } }
}
