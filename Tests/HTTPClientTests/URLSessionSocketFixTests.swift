import Foundation
import HTTPClient
import HTTPKit
import Synchronization
import Testing

/// FoundationNetworking left a write source on every new connection and ran libcurl's socket
/// action in a loop while the connection's first call waited for its answer
/// (`Sources/CURLSessionFix/CURLSessionFix.c`). These drive real URLSession calls against a
/// loopback server that answers slowly, and count the socket events on the clients' sockets.
@Suite(.enabled(if: URLSessionTransport.SocketFix.isEnabled, "URLSESSION_SOCKET_FIX turned the fix off"))
struct URLSessionSocketFixTests {
    @Test func urlSessionCallsGoThroughTheFix() {
        _ = URLSessionTransport()
        #expect(URLSessionTransport.SocketFix.isActive)
    }

    /// Several connections opened at once, each then carrying more calls. Without the fix each
    /// new connection's socket saw thousands of events while its first call waited (checked:
    /// about 5,800 in 300 ms here); with it, a few per call.
    @Test func newConnectionsWaitForSlowAnswersWithoutSpinning() throws {
        let server = try SlowLoopbackServer(delay: 0.3)
        let transport = URLSessionTransport()
        let droppedBefore = URLSessionTransport.SocketFix.droppedWriteWatches
        let smallBefore = URLSessionTransport.SocketFix.transfersWithSmallBuffers
        let releasedBefore = URLSessionTransport.SocketFix.uploadBuffersReleased
        let connections = 4
        let failures = Mutex([String]())
        // Each round sends one POST with a body per connection, all at once, and waits for them.
        func round() {
            let done = DispatchGroup()
            for _ in 0..<connections {
                done.enter()
                Thread.detachNewThread {
                    defer { done.leave() }
                    do {
                        let response = try transport.send(TransportRequest(
                            method: "POST", url: "http://127.0.0.1:\(server.port)/sessions",
                            headers: [("Content-Type", "application/json")], body: Array(#"{"amount":100}"#.utf8), timeout: 5
                        ))
                        if response.status != 200 || response.body != Array(#"{"ok":true}"#.utf8) {
                            failures.withLock { $0.append("answered \(response.status)") }
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
            done.wait()
        }
        // The counters are per socket number, which earlier sockets may have used: take them all.
        let before = (0..<Int32(4096)).map(URLSessionTransport.SocketFix.socketActions(onDescriptor:))
        round()
        round()
        round()
        let clients = server.clientDescriptors()
        let events = clients.map { URLSessionTransport.SocketFix.socketActions(onDescriptor: $0) - before[Int($0)] }.reduce(0, +)
        #expect(failures.withLock { $0 } == [])
        #expect(server.connectionsAccepted == connections, "later calls reuse the kept-alive connections")
        #expect(clients.count == connections, "the clients' sockets to the test server")
        #expect(events < UInt64(connections * 3 * 10), "socket events on the clients' sockets during three rounds of 300 ms waits: \(events)")
        #expect(URLSessionTransport.SocketFix.droppedWriteWatches > droppedBefore)
        #expect(URLSessionTransport.SocketFix.transfersWithSmallBuffers >= smallBefore + UInt64(3 * connections), "each call's transfer")
        #expect(URLSessionTransport.SocketFix.uploadBuffersReleased >= releasedBefore + UInt64(3 * connections), "each POST's upload buffer, once its body was sent")
    }

    /// A body longer than the upload buffer goes out whole before the buffer is freed, and
    /// a body-less call frees none.
    @Test func uploadBufferIsReleasedOnceTheWholeBodyWasSent() throws {
        let server = try SlowLoopbackServer(delay: 0.05)
        let transport = URLSessionTransport()
        let get = try transport.send(TransportRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/sessions/1", headers: [], body: [], timeout: 5))
        #expect(get.status == 200)
        #expect(server.bodiesReceived == [[]])
        let released = URLSessionTransport.SocketFix.uploadBuffersReleased
        let body = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 % 251) }  // 16 KiB buffers: sent in three
        let post = try transport.send(TransportRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/sessions", headers: [], body: body, timeout: 5))
        #expect(post.status == 200 && post.body == Array(#"{"ok":true}"#.utf8))
        #expect(server.bodiesReceived == [[], body])
        // Other suites' calls in this process may add to the count; this one must have.
        #expect(URLSessionTransport.SocketFix.uploadBuffersReleased > released)
    }
}

/// Answers each HTTP/1.1 request on 127.0.0.1 after `delay` seconds, keeping connections open.
private final class SlowLoopbackServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let delay: Double
    private let state = Peers()

    /// What the accept loop records; the loop holds this, not the server, so the server's
    /// deinit closes the listener and ends the loop.
    private final class Peers: Sendable {
        let value = Mutex((accepted: 0, peerPorts: [Int](), bodies: [[UInt8]]()))
    }

    init(delay: Double) throws {
        self.delay = delay
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0 && listen(fd, 8) == 0
            }
        }
        guard listening else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [listener = fd, state, delay] in Self.acceptLoop(listener, state, delay) }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    var connectionsAccepted: Int { state.value.withLock { $0.accepted } }

    /// The request bodies received, in order.
    var bodiesReceived: [[UInt8]] { state.value.withLock { $0.bodies } }

    /// This process's sockets connected to the server (found by the accepted peers' ports).
    func clientDescriptors() -> [Int32] {
        let peers = Set(state.value.withLock { $0.peerPorts })
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        return entries.compactMap(Int32.init).filter { Self.localPort(of: $0).map(peers.contains) ?? false }
    }

    private static func localPort(of descriptor: Int32) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) == 0 }
        }
        guard named, address.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func acceptLoop(_ listener: Int32, _ state: Peers, _ delay: Double) {
        while true {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let connection = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            guard connection >= 0 else { return }
            state.value.withLock {
                $0.accepted += 1
                $0.peerPorts.append(Int(UInt16(bigEndian: peer.sin_port)))
            }
            Thread.detachNewThread { serve(connection, delay, state) }
        }
    }

    private static func serve(_ connection: Int32, _ delay: Double, _ state: Peers) {
        defer { close(connection) }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            // One request: the head up to the blank line, then Content-Length bytes of body.
            var head: Range<Int>?
            while head == nil {
                if let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                    head = 0..<end.upperBound
                    break
                }
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { return }
                pending += buffer[0..<count]
            }
            guard let head else { return }
            let headText = String(decoding: pending[head], as: UTF8.self).lowercased()
            let length = headText.split(separator: "\r\n")
                .first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            while pending.count < head.upperBound + length {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { return }
                pending += buffer[0..<count]
            }
            let body = Array(pending[head.upperBound..<(head.upperBound + length)])
            state.value.withLock { $0.bodies.append(body) }
            pending.removeFirst(head.upperBound + length)
            Thread.sleep(forTimeInterval: delay)
            let answer = #"{"ok":true}"#
            let response = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(answer.utf8.count)\r\n\r\n\(answer)".utf8)
            guard response.withUnsafeBytes({ write(connection, $0.baseAddress, $0.count) }) == response.count else { return }
        }
    }
}
