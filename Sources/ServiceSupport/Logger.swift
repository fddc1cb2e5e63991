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
        FileHandle.standardError.write(Data("\(time) \(level.name) \(label)[\(getpid())]: \(message())\n".utf8))
    }
}
