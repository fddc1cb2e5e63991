import Foundation
import HTTPKit
import ServiceSupport
import Synchronization

/// Writes every exchange of the sandbox's Dintero API (request and answer), every return
/// redirect and every callback it sends, one JSON document a line, to `SANDBOX_RECORD`: the
/// material the contract test (`Tests/Contract`) checks against Dintero's published schemas.
/// Test controls (`/__sandbox`) and the card provider are not recorded.
final class ExchangeRecorder: Sendable {
    private let file: Mutex<FileHandle>

    /// A recorder appending to `path` (created if missing).
    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ConfigurationError("SANDBOX_RECORD: cannot write \(path)") }
        handle.seekToEndOfFile()
        file = Mutex(handle)
    }

    /// True for the requests worth recording: Dintero's API and the hosted page's redirects.
    static func records(_ request: HTTPRequest) -> Bool {
        request.path.hasPrefix("/v1/")
    }

    /// One exchange, its answer as sent (an injected fault is marked as such).
    func record(_ request: HTTPRequest, _ response: HTTPResponse) {
        write(.object([
            ("kind", .string("exchange")),
            ("method", .string(request.method)),
            ("path", .string(request.path)),
            ("query", .string(request.query)),
            ("request_type", .string(request.mediaType ?? "")),
            // A test's own probe of the sandbox (its answer is checked, its request is not ours).
            ("probe", .bool(request.header("contract-probe") != nil)),
            ("request", Self.document(request.body)),
            ("status", .int(Int64(response.status.code))),
            ("location", response.header("Location").map(JSONValue.string) ?? .null),
            ("fault", .bool(response.header(SandboxState.faultHeader) != nil)),
            ("response", Self.document(response.body)),
        ]))
    }

    /// A callback the sandbox sends to the merchant.
    func recordCallback(method: String, url: String, body: [UInt8]?) {
        write(.object([
            ("kind", .string("callback")),
            ("method", .string(method)),
            ("url", .string(url)),
            ("request", body.map(Self.document) ?? .null),
        ]))
    }

    private func write(_ value: JSONValue) {
        file.withLock { $0.write(Data(value.serialized + [UInt8(ascii: "\n")])) }
    }

    /// The body as JSON when it is JSON, else as text (nothing: null).
    private static func document(_ body: [UInt8]) -> JSONValue {
        if body.isEmpty { return .null }
        return (try? JSONValue.parse(body)) ?? .string(String(decoding: body, as: UTF8.self))
    }
}

/// The sandbox's router, recording what passes through it when a recorder is set.
struct RecordingResponder: HTTPResponder {
    let router: Router
    let recorder: ExchangeRecorder?

    func respond(to request: HTTPRequest) -> HTTPResponse {
        let response = router.respond(to: request)
        guard let recorder, ExchangeRecorder.records(request) else { return response }
        if let deferred = response.deferred {
            return .later { reply in deferred { answer in recorder.record(request, answer); reply(answer) } }
        }
        recorder.record(request, response)
        return response
    }
}
