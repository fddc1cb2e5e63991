import Foundation

/// Reads settings from environment variables, with `NAME_FILE` variants for secrets.
public struct Environment: Sendable {
    /// The raw variables.
    public let values: [String: String]

    /// Wraps a variable map (the process environment by default).
    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The trimmed value of `name`, nil when unset or empty.
    public func string(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// `name`, or the contents of the file named by `name_FILE` (for secrets kept out of the
    /// environment listing). Throws when the file cannot be read.
    public func secret(_ name: String) throws -> String? {
        if let value = string(name) { return value }
        guard let path = string(name + "_FILE") else { return nil }
        do {
            let contents = try String(contentsOfFile: path, encoding: .utf8)
            let trimmed = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        } catch {
            throw ConfigurationError("\(name)_FILE: cannot read \(path)")
        }
    }

    /// Which of the `NAME_FILE` settings of `secrets` name a file that group or others may
    /// read (mode bits 077), as ssh checks its keys: a secret there is readable by more than
    /// the service's user.
    public func looselyProtectedSecretFiles(_ secrets: [String]) -> [(name: String, path: String)] {
        secrets.map { $0 + "_FILE" }.compactMap { name in
            guard let path = string(name),
                  let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 else { return nil }
            return (name, path)
        }
    }

    /// An integer setting within `range`, or `fallback` when unset.
    public func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = string(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// A number of seconds within `range`, or `fallback` when unset.
    public func seconds(_ name: String, default fallback: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = string(name) else { return fallback }
        guard let value = Double(text), range.contains(value) else {
            throw ConfigurationError("\(name) must be a number of seconds in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// One of `choices` (compared without case, returned as listed), or `fallback` when unset.
    public func choice(_ name: String, of choices: [String], default fallback: String) throws -> String {
        guard let text = string(name) else { return fallback }
        guard let chosen = choices.first(where: { $0 == text.lowercased() }) else {
            let listed = choices.count > 1 ? choices.dropLast().joined(separator: ", ") + " or " + choices.last! : choices.joined()
            throw ConfigurationError("\(name) must be \(listed), got \"\(text)\"")
        }
        return chosen
    }

    /// An absolute http(s) URL setting without a trailing slash, or `fallback`.
    public func baseURL(_ name: String, default fallback: String) throws -> String {
        let text = string(name) ?? fallback
        guard AbsoluteHTTPURL.isValid(text) else {
            throw ConfigurationError("\(name) must be an absolute http(s) URL, got \"\(text)\"")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}

/// A setting that is missing or malformed; the message names it.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the setting.
    public let description: String

    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
