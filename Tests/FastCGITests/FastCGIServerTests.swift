import Dispatch
import FastCGI
import Foundation
import HTTPKit
import Synchronization
import TestSupport
import Testing

/// The server end to end over a real socket: libfcgi reads what a web server sends, and the
/// answer comes back framed as FastCGI records, at once or later from another thread.
///
/// One server for the suite: libfcgi's shutdown flag is process-wide, so a process can serve
/// only until its first shutdown.
@Suite(.serialized) struct FastCGIServerTests {
    static let longBody = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    @Test func aLongAnswerComesInRecordsAndEndsTheRequest() throws {
        let answer = try FastCGIClient(path: try Harness.shared().path).exchange(method: "GET", uri: "/long", requestID: 513)
        let head = try #require(answer.output.firstRange(of: Array("\r\n\r\n".utf8)))
        let headText = String(decoding: answer.output[..<head.upperBound], as: UTF8.self)
        #expect(headText.hasPrefix("Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"))
        #expect(headText.contains("\r\nContent-Length: 150000\r\n"))
        let bodyMatches = answer.output[head.upperBound...].elementsEqual(Self.longBody)
        #expect(bodyMatches, "the body, \(answer.output.count - head.upperBound) bytes, is the responder's 150,000")
        #expect(answer.outputRecords >= 3, "a record holds at most 65,535 bytes")
        #expect(answer.requestIDs == [513])
        #expect(answer.ended && answer.protocolStatus == 0)
        #expect(answer.closedAfterwards)
    }

    @Test func theRequestBodyAndParametersReachTheResponder() throws {
        let harness = try Harness.shared()
        let answer = try FastCGIClient(path: harness.path).exchange(method: "POST", uri: "/echo?x=1", body: Array(#"{"amount":1}"#.utf8))
        #expect(String(decoding: answer.output, as: UTF8.self).hasPrefix("Status: 202 Accepted\r\n"))
        let request = try #require(harness.lastEcho.withLock { $0 })
        #expect(request.method == "POST" && request.path == "/echo" && request.query == "x=1")
        #expect(request.body == Array(#"{"amount":1}"#.utf8))
    }

    /// The one accept thread answers another request while the first is parked, and the first
    /// is answered from the test's thread afterwards (a second answer is ignored).
    @Test func aParkedRequestFreesTheAcceptThreadAndIsAnsweredLater() throws {
        let harness = try Harness.shared()
        let first = try FastCGIClient(path: harness.path)
        try first.send(method: "GET", uri: "/park", requestID: 1)
        harness.parked.wait()
        #expect(harness.server.statistics.parked == 1)
        let quick = try FastCGIClient(path: harness.path).exchange(method: "GET", uri: "/quick", requestID: 2)
        #expect(String(decoding: quick.output, as: UTF8.self).hasSuffix("\r\n\r\nquick"))
        let reply = try #require(harness.parkedReply.withLock { $0 })
        reply(HTTPResponse(status: .ok, headers: [], body: Array("later".utf8)))
        reply(HTTPResponse(status: .internalServerError, headers: [], body: Array("twice".utf8)))
        let answer = try first.receive()
        #expect(String(decoding: answer.output, as: UTF8.self).hasSuffix("\r\n\r\nlater"))
        #expect(answer.requestIDs == [1] && answer.ended && answer.closedAfterwards)
        #expect(harness.server.statistics.parked == 0)
    }

    /// A server with one accept thread on a socket of its own, started once.
    final class Harness: Sendable {
        let path: String
        let server: FastCGIServer
        let lastEcho = Mutex<HTTPRequest?>(nil)
        let parkedReply = Mutex<HTTPResponse.Reply?>(nil)
        let parked = DispatchSemaphore(value: 0)

        private static let instance = Mutex<Harness?>(nil)

        static func shared() throws -> Harness {
            try instance.withLock { instance in
                if let instance { return instance }
                let started = try Harness()
                instance = started
                return started
            }
        }

        private init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("fcgi-\(UUID().uuidString.prefix(8)).sock").path
            server = FastCGIServer(configuration: .init(listenSocket: try FastCGISocket.listen(path: path, backlog: 16), threads: 1))
            try server.start { [self] in Responder(harness: self) }
        }
    }

    private struct Responder: HTTPResponder {
        let harness: Harness

        func respond(to request: HTTPRequest) -> HTTPResponse {
            switch request.path {
            case "/long": return HTTPResponse(status: .ok, headers: [("Content-Type", "application/octet-stream")], body: FastCGIServerTests.longBody)
            case "/echo":
                harness.lastEcho.withLock { $0 = request }
                return HTTPResponse(status: .accepted, headers: [], body: Array("ok".utf8))
            case "/park":
                return .later { [harness] reply in
                    harness.parkedReply.withLock { $0 = reply }
                    harness.parked.signal()
                }
            default: return HTTPResponse(status: .ok, headers: [], body: Array("quick".utf8))
            }
        }
    }
}

/// What a web server sends and reads, over one connection (FastCGI 1.0).
private final class FastCGIClient {
    struct Answer {
        var output: [UInt8] = []
        var outputRecords = 0
        var requestIDs: Set<UInt16> = []
        var ended = false
        var protocolStatus: UInt8?
        var closedAfterwards = false
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private let socket: Int32

    init(path: String) throws {
        guard let socket = UnixSocket.connect(path: path) else { throw Failure(description: "connect \(path): errno \(errno)") }
        self.socket = socket
    }

    deinit { close(socket) }

    func exchange(method: String, uri: String, body: [UInt8] = [], requestID: UInt16 = 1) throws -> Answer {
        try send(method: method, uri: uri, body: body, requestID: requestID)
        return try receive()
    }

    func send(method: String, uri: String, body: [UInt8] = [], requestID: UInt16) throws {
        let parts = uri.split(separator: "?", maxSplits: 1)
        var parameters: [UInt8] = []
        for (name, value) in [
            ("REQUEST_METHOD", method), ("REQUEST_URI", uri), ("DOCUMENT_URI", String(parts[0])),
            ("QUERY_STRING", parts.count > 1 ? String(parts[1]) : ""), ("CONTENT_LENGTH", String(body.count)),
            ("CONTENT_TYPE", body.isEmpty ? "" : "application/json"),
        ] {
            parameters += [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8)
        }
        // BEGIN_REQUEST: role RESPONDER, flags 0 (the server closes the connection afterwards).
        var bytes = record(1, requestID, [0, 1, 0, 0, 0, 0, 0, 0])
        bytes += record(4, requestID, parameters) + record(4, requestID, [])
        if !body.isEmpty { bytes += record(5, requestID, body) }
        bytes += record(5, requestID, [])
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(socket, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else { throw Failure(description: "write: errno \(errno)") }
                offset += written
            }
        }
    }

    /// Reads records up to `FCGI_END_REQUEST`, then checks that the server closed the connection.
    func receive() throws -> Answer {
        var answer = Answer()
        while !answer.ended {
            let header = try read(8)
            let type = header[1], id = UInt16(header[2]) << 8 | UInt16(header[3])
            let length = Int(header[4]) << 8 | Int(header[5]), padding = Int(header[6])
            let content = try read(length)
            _ = try read(padding)
            answer.requestIDs.insert(id)
            switch type {
            case 6 where length > 0:
                answer.output += content
                answer.outputRecords += 1
            case 6: break
            case 3:
                answer.ended = true
                answer.protocolStatus = content[4]
            default: throw Failure(description: "unexpected record type \(type)")
            }
        }
        var byte: UInt8 = 0
        answer.closedAfterwards = Glibc.read(socket, &byte, 1) == 0
        return answer
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(socket, $0.baseAddress! + offset, count - offset) }
            guard got > 0 else { throw Failure(description: "read: connection ended after \(offset) of \(count) bytes") }
            offset += got
        }
        return bytes
    }

    private func record(_ type: UInt8, _ id: UInt16, _ content: [UInt8]) -> [UInt8] {
        [1, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8), UInt8(content.count & 0xFF), 0, 0] + content
    }
}
