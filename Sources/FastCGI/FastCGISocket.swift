import CFastCGI
#if canImport(Glibc)
import Glibc
import ProcessSupervision
#endif

/// Creating the listening socket that worker processes inherit on fd 0.
public enum FastCGISocket {
    /// Listens on a unix socket path (replacing a stale socket file) and returns its descriptor.
    /// `mode` sets the socket file's permissions so the web server can connect.
    public static func listen(path: String, backlog: Int32 = 1024, mode: mode_t = 0o660) throws -> FileDescriptor {
        try removeSocketFile(path)
        let fd = FCGX_OpenSocket(path, backlog)
        guard fd >= 0 else { throw SystemCallError(call: "FCGX_OpenSocket", subject: path, errno: errno) }
        try SystemCall.check("chmod", path) { chmod(path, mode) }
        return FileDescriptor(rawValue: fd)
    }

    /// Removes a socket file; a file that is already gone is fine.
    public static func removeSocketFile(_ path: String) throws {
        let result = Result { () throws(SystemCallError) in try SystemCall.check("unlink", path) { unlink(path) } }
        if case .failure(let error) = result, error.errno != ENOENT { throw error }
    }
}
