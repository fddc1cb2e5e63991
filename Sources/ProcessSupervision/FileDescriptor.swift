#if canImport(Glibc)
import Glibc
#endif

/// An open file descriptor (a listening socket here), instead of a raw `Int32`.
public struct FileDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The descriptor number.
    public let rawValue: Int32

    /// Wraps a descriptor number.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Standard input: where a FastCGI process manager hands over the listening socket.
    public static let standardInput = FileDescriptor(rawValue: 0)

    /// True when this is a listening socket, as when started by a FastCGI process manager.
    public var isListeningSocket: Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(rawValue, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
    }

    /// Closes the descriptor (not retried on EINTR: on Linux the descriptor is gone either way).
    public func close() throws(SystemCallError) {
        if Glibc.close(rawValue) != 0 {
            let code = errno
            if code != EINTR { throw SystemCallError(call: "close", subject: "fd \(rawValue)", errno: code) }
        }
    }

    public var description: String { "fd \(rawValue)" }
}
