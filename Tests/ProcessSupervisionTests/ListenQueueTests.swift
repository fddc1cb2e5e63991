import FastCGI
import Foundation
import ProcessSupervision
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
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            #expect(connected == 0)
            clients.append(fd)
        }
        #expect(listener.listenQueue?.waiting == 3)
    }
}
