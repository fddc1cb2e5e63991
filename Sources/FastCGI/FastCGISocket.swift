import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// Creating the listening socket that worker processes inherit on fd 0.
public enum FastCGISocket {
    /// Listens on a unix socket path (replacing a stale socket file) and returns its fd.
    /// `mode` sets the socket file's permissions so the web server can connect.
    public static func listen(path: String, backlog: Int32 = 1024, mode: mode_t = 0o660) throws -> Int32 {
        unlink(path)
        let fd = FCGX_OpenSocket(path, backlog)
        guard fd >= 0 else { throw FastCGIError.openSocketFailed(path: path, errno: errno) }
        chmod(path, mode)
        return fd
    }
}
