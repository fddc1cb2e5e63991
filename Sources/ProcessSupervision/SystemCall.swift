#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on what, and `errno` captured right after it returned.
public struct SystemCallError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The call, e.g. `unlink`.
    public let call: String
    /// What it was applied to (a path, a signal), for the message.
    public let subject: String
    /// The `errno` value.
    public let errno: Int32

    /// The failure of `call` on `subject` with `errno`.
    public init(call: String, subject: String, errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var description: String {
        "\(call)(\(subject)) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The one way this layer calls libc: errno is read at once (before anything else can
/// overwrite it), `EINTR` is retried, and a failure is thrown rather than ignored.
public enum SystemCall {
    /// Runs `body` until it does not fail with `EINTR`; throws for `-1` (or any negative
    /// result), returns the result otherwise.
    @discardableResult
    public static func check<T: BinaryInteger>(_ call: String, _ subject: @autoclosure () -> String = "", _ body: () -> T) throws(SystemCallError) -> T {
        while true {
            let result = body()
            guard result < 0 else { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemCallError(call: call, subject: subject(), errno: code)
        }
    }

    /// For the pthread family, which return the error number instead of setting errno.
    public static func checkReturned(_ call: String, _ subject: @autoclosure () -> String = "", _ body: () -> Int32) throws(SystemCallError) {
        let code = body()
        guard code == 0 else { throw SystemCallError(call: call, subject: subject(), errno: code) }
    }
}
