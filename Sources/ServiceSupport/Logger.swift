import Foundation

/// Line-oriented logging to stderr (collected by the supervisor or the terminal).
///
/// Callers never pass secrets or card data.
public struct Logger: Sendable {
    /// Severity of a line.
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
        var name: String { ["debug", "info", "warning", "error"][rawValue] }
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

    public func debug(_ message: @autoclosure () -> String) { write(.debug, message) }
    public func info(_ message: @autoclosure () -> String) { write(.info, message) }
    public func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    public func error(_ message: @autoclosure () -> String) { write(.error, message) }

    private func write(_ level: Level, _ message: () -> String) {
        guard level >= minimumLevel else { return }
        let time = Timestamp.iso8601(epochMilliseconds: Date().epochMilliseconds)
        let text = Self.escaped(message())
        FileHandle.standardError.write(Data("\(time) \(level.name) \(label)[\(getpid())]: \(text)\n".utf8))
    }

    /// Longest message written, in characters; the rest is cut and marked.
    public static let maximumMessageLength = 2_000

    /// One line whatever the message holds: control characters (a `%0A` decoded from a request
    /// parameter, say) are written as `\u{…}` escapes, so no request can forge a log line, and
    /// long messages are cut.
    public static func escaped(_ message: String) -> String {
        var out = ""
        var count = 0
        for scalar in message.unicodeScalars {
            if count == maximumMessageLength {
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
