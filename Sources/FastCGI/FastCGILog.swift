#if canImport(Glibc)
import Glibc
#endif

/// Minimal stderr logging for the FastCGI layer (stderr is the worker's log).
enum FastCGILog {
    static func error(_ message: String) {
        let line = Array("fastcgi[\(getpid())]: \(message)\n".utf8)
        line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
