import FastCGI
import Foundation
import ProcessSupervision
import TestSupport
import Testing

@Suite struct ListenQueueTests {
    /// Connections nobody has accepted yet are the queue php-fpm calls "listen queue".
    @Test func countsConnectionsWaitingForAccept() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lq-\(UUID().uuidString.prefix(8)).sock").path
        let listener = try FastCGISocket.listen(path: path, backlog: 16)
        defer {
            try? listener.close()
            try? FastCGISocket.removeSocketFile(path)
        }
        #expect(listener.listenQueue?.waiting == 0)
        #expect(listener.listenQueue?.limit == 16)
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        for _ in 0..<3 {
            let client = UnixSocket.connect(path: path)
            #expect(client != nil)
            if let client { clients.append(client) }
        }
        #expect(listener.listenQueue?.waiting == 3)
    }
}
