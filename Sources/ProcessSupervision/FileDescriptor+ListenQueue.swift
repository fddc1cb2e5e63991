#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor {
    /// Connections waiting in a listening unix socket's accept queue, and the queue's limit
    /// (php-fpm's "listen queue" / "max listen queue len"); nil when the kernel will not say.
    ///
    /// Asked through `NETLINK_SOCK_DIAG` (`unix_diag`, `UDIAG_SHOW_RQLEN`): for a listening
    /// socket the kernel reports the accept backlog as the receive queue. `SIOCINQ` refuses
    /// listening sockets, and `/proc/net/unix` has no queue column.
    public var listenQueue: (waiting: Int, limit: Int)? {
        var status = stat()
        guard fstat(rawValue, &status) == 0 else { return nil }
        let netlink = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 4 /* NETLINK_SOCK_DIAG */)
        guard netlink >= 0 else { return nil }
        defer { Glibc.close(netlink) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(netlink, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        // struct nlmsghdr (16 bytes) + struct unix_diag_req (24 bytes), native byte order.
        var message: [UInt8] = []
        func put32(_ value: UInt32) { withUnsafeBytes(of: value) { message.append(contentsOf: $0) } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value) { message.append(contentsOf: $0) } }
        put32(40); put16(20 /* SOCK_DIAG_BY_FAMILY */); put16(1 /* NLM_F_REQUEST */); put32(1); put32(0)
        message += [UInt8(AF_UNIX), 0, 0, 0]
        put32(1 << 10 /* TCP_LISTEN */); put32(UInt32(truncatingIfNeeded: status.st_ino))
        put32(0x10 /* UDIAG_SHOW_RQLEN */); put32(.max); put32(.max)  // no cookie: look up by inode
        guard send(netlink, message, message.count, 0) == message.count else { return nil }

        var reply = [UInt8](repeating: 0, count: 512)
        let received = recv(netlink, &reply, reply.count, 0)
        func get16(_ at: Int) -> Int { Int(reply.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) }) }
        func get32(_ at: Int) -> Int { Int(reply.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }) }
        // nlmsghdr, then struct unix_diag_msg (16 bytes), then attributes (len, type, data).
        guard received >= 32, get16(4) == 20 else { return nil }
        var offset = 32
        while offset + 4 <= received {
            let length = get16(offset), type = get16(offset + 2)
            guard length >= 4 else { return nil }
            if type == 4 /* UNIX_DIAG_RQLEN */, length >= 12, offset + 12 <= received {
                return (get32(offset + 4), get32(offset + 8))
            }
            offset += (length + 3) & ~3
        }
        return nil
    }
}
