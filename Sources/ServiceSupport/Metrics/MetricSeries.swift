/// Builds series keys in Prometheus' text syntax: `name{label="value",…}`.
public enum MetricSeries {
    /// `name` with `labels` in the given order; values are escaped as the exposition format
    /// requires (backslash, quote, newline).
    public static func key(_ name: String, _ labels: KeyValuePairs<String, String> = [:]) -> String {
        guard !labels.isEmpty else { return name }
        var key = name
        key.append("{")
        var first = true
        for (label, value) in labels {
            if !first { key.append(",") }
            first = false
            key.append(label)
            key.append("=\"")
            key.append(escape(value))
            key.append("\"")
        }
        key.append("}")
        return key
    }

    /// The metric name of a series key.
    public static func name(of series: String) -> Substring {
        series.prefix { $0 != "{" }
    }

    /// The `{…}` part of a series key, or "" when it has no labels.
    static func labels(of series: String) -> Substring {
        series.drop { $0 != "{" }
    }

    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
