import Foundation

/// Structured logging to stderr (collected by the supervisor, systemd or the terminal), one
/// logfmt line per event:
///
///     ts=2026-11-23T02:14:00.123Z level=info component=payments-worker pid=4242 rid=5f1c… msg="…" key=value
///
/// `rid` is the request id of the request the calling thread is serving (see
/// ``RequestContext``), so every line a request causes can be found by it. Every value is
/// quoted when it needs to be, control characters are escaped (a `%0A` decoded from a request
/// cannot forge a line) and values are cut at ``maximumValueLength``. Callers never pass
/// secrets or card data.
public struct Logger: Sendable {
    /// Severity of a line.
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
        /// Every level's name, in order.
        static let names = ["debug", "info", "warning", "error"]
        var name: String { Self.names[rawValue] }

        /// The level named by `LOG_LEVEL` (`debug`, `info`, `warning`, `error`).
        public init?(name: String) {
            guard let index = Self.names.firstIndex(of: name.lowercased()) else { return nil }
            self.init(rawValue: index)
        }
    }

    /// The component name printed on each line.
    public let label: String
    /// Lines below this level are dropped.
    public let minimumLevel: Level

    /// Creates a logger.
    public init(label: String, minimumLevel: Level = .info) {
        self.label = label
        self.minimumLevel = minimumLevel
    }

    /// A logger whose level comes from `LOG_LEVEL` (default info); a bad value is an error.
    public static func from(_ environment: Environment, label: String) throws -> Logger {
        let name = try environment.choice("LOG_LEVEL", of: Level.names, default: "info")
        return Logger(label: label, minimumLevel: Level(name: name) ?? .info)
    }

    /// True when lines of `level` are written.
    public func isEnabled(_ level: Level) -> Bool { level >= minimumLevel }

    public func debug(_ message: @autoclosure () -> String) { write(.debug, message) }
    public func info(_ message: @autoclosure () -> String) { write(.info, message) }
    public func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    public func error(_ message: @autoclosure () -> String) { write(.error, message) }

    /// A line of `fields` (in order) after the message.
    public func log(_ level: Level, _ message: @autoclosure () -> String, _ fields: @autoclosure () -> [(String, String)]) {
        guard level >= minimumLevel else { return }
        emit(level, message(), fields())
    }

    private func write(_ level: Level, _ message: () -> String) {
        guard level >= minimumLevel else { return }
        emit(level, message(), [])
    }

    private func emit(_ level: Level, _ message: String, _ fields: [(String, String)]) {
        // Built as bytes and written with one write(2): no Foundation on the per-request path,
        // and one line per call even with many threads writing.
        var line: [UInt8] = []
        line.reserveCapacity(160 + message.utf8.count)
        line.append(contentsOf: "ts=".utf8)
        Timestamp.appendISO8601(epochMilliseconds: Date().epochMilliseconds, to: &line)
        line.append(contentsOf: " level=".utf8)
        line.append(contentsOf: level.name.utf8)
        line.append(contentsOf: " component=".utf8)
        line.append(contentsOf: label.utf8)
        line.append(contentsOf: " pid=".utf8)
        line.append(contentsOf: String(getpid()).utf8)
        if let requestID = RequestContext.currentID {
            line.append(contentsOf: " rid=".utf8)
            Self.appendValue(requestID, to: &line)
        }
        line.append(contentsOf: " msg=".utf8)
        Self.appendValue(message, to: &line)
        for (key, value) in fields {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            Self.appendValue(value, to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // nowhere to log to; never fail a request for it
                offset += written
            }
        }
    }

    /// Longest value written, in characters; the rest is cut and marked.
    public static let maximumValueLength = 2_000

    /// A logfmt value: bare when it is a plain token, else quoted with `"` and `\` escaped;
    /// control characters always as `\u{…}`; long values cut.
    public static func value(_ text: String) -> String {
        var out: [UInt8] = []
        appendValue(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// One line whatever the text holds: control characters (a `%0A` decoded from a request
    /// parameter, say) are written as `\u{…}` escapes, so no request can forge a line, and
    /// long text is cut.
    public static func escaped(_ message: String) -> String {
        var out: [UInt8] = []
        appendEscaped(message, quoting: false, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// ``value(_:)`` appended as bytes.
    static func appendValue(_ text: String, to out: inout [UInt8]) {
        let bare = !text.isEmpty && text.utf8.allSatisfy {
            $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "\\")
        }
        if bare {
            appendEscaped(text, quoting: false, to: &out)
        } else {
            out.append(UInt8(ascii: "\""))
            appendEscaped(text, quoting: true, to: &out)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Copies `text`'s UTF-8 with control characters (C0, DEL, C1, U+2028, U+2029) as `\u{…}`,
    /// and with `quoting`, `"` and `\` backslash-escaped; cut after ``maximumValueLength``
    /// characters (Unicode scalars).
    private static func appendEscaped(_ text: String, quoting: Bool, to out: inout [UInt8]) {
        var scalars = 0
        for scalar in text.unicodeScalars {
            if scalars == maximumValueLength {
                out.append(contentsOf: "…[cut]".utf8)
                return
            }
            scalars += 1
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 {
                out.append(contentsOf: "\\u{".utf8)
                out.append(contentsOf: String(value, radix: 16).utf8)
                out.append(UInt8(ascii: "}"))
            } else if quoting && (value == 0x22 || value == 0x5C) {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(value))
            } else if value < 0x80 {
                out.append(UInt8(value))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
    }
}

/// The request the calling thread is serving, for log lines. Each request is served start to
/// finish on one dedicated accept thread, so a thread-local value is exact.
public enum RequestContext {
    private final class Box {
        let id: String
        init(_ id: String) { self.id = id }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() } }
        return key
    }()

    /// The current request id, if the thread is serving a request.
    public static var currentID: String? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<Box>.fromOpaque(raw).takeUnretainedValue().id
    }

    /// Runs `body` with `id` as the current request id.
    public static func with<T>(id: String?, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, id.map { Unmanaged.passRetained(Box($0)).toOpaque() })
        defer {
            if let current = pthread_getspecific(key) { Unmanaged<Box>.fromOpaque(current).release() }
            pthread_setspecific(key, previous)
        }
        return try body()
    }
}
