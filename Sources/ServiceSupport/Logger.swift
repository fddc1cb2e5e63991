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
        var name: String { ["debug", "info", "warning", "error"][rawValue] }

        /// The level named by `LOG_LEVEL` (`debug`, `info`, `warning`, `error`).
        public init?(name: String) {
            guard let index = ["debug", "info", "warning", "error"].firstIndex(of: name.lowercased()) else { return nil }
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
        guard let name = environment.string("LOG_LEVEL") else { return Logger(label: label) }
        guard let level = Level(name: name) else {
            throw ConfigurationError("LOG_LEVEL must be debug, info, warning or error, got \"\(name)\"")
        }
        return Logger(label: label, minimumLevel: level)
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
        var line = "ts=\(Timestamp.iso8601(epochMilliseconds: Date().epochMilliseconds)) level=\(level.name) component=\(label) pid=\(getpid())"
        if let requestID = RequestContext.currentID { line += " rid=\(Self.value(requestID))" }
        line += " msg=\(Self.value(message))"
        for (key, value) in fields { line += " \(key)=\(Self.value(value))" }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Longest value written, in characters; the rest is cut and marked.
    public static let maximumValueLength = 2_000

    /// A logfmt value: bare when it is a plain token, else quoted with `"` and `\` escaped;
    /// control characters always as `\u{…}`; long values cut.
    public static func value(_ text: String) -> String {
        let bare = !text.isEmpty && text.unicodeScalars.allSatisfy {
            $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value < 0x7F
        }
        if bare { return escaped(text) }
        // Quote and backslash first, so the \u{…} escapes of control characters stay single.
        return "\"" + escaped(text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")) + "\""
    }

    /// One line whatever the text holds: control characters (a `%0A` decoded from a request
    /// parameter, say) are written as `\u{…}` escapes, so no request can forge a log line, and
    /// long text is cut.
    public static func escaped(_ message: String) -> String {
        var out = ""
        var count = 0
        for scalar in message.unicodeScalars {
            if count == maximumValueLength {
                out += "…[cut]"
                break
            }
            count += 1
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The request the calling thread is serving, for log lines. Each request is served start to
/// finish on one dedicated accept thread, so a thread-local value is exact.
public enum RequestContext {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in if let raw { Unmanaged<NSString>.fromOpaque(raw).release() } }
        return key
    }()

    /// The current request id, if the thread is serving a request.
    public static var currentID: String? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<NSString>.fromOpaque(raw).takeUnretainedValue() as String
    }

    /// Runs `body` with `id` as the current request id.
    public static func with<T>(id: String?, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        if let id {
            pthread_setspecific(key, Unmanaged.passRetained(id as NSString).toOpaque())
        } else {
            pthread_setspecific(key, nil)
        }
        defer {
            if let current = pthread_getspecific(key) { Unmanaged<NSString>.fromOpaque(current).release() }
            pthread_setspecific(key, previous)
        }
        return try body()
    }
}
