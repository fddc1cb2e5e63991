/// The one check for "an absolute http(s) URL" used by settings, request fields and the sandbox.
public enum AbsoluteHTTPURL {
    /// True for `http://host[:port][/path][?query]` or `https://…`: a scheme of http or https
    /// (any case), a non-empty authority, and no whitespace, quotes or angle brackets anywhere
    /// (so the value is safe to put in a header or an HTML attribute after escaping).
    public static func isValid(_ text: String) -> Bool {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0 == "\"" || $0 == "<" || $0 == ">" || $0 == "\\" }),
              let (_, hostAndPort) = authority(of: text)
        else { return false }
        // An IPv6 literal ([::1]) carries colons of its own.
        let host = hostAndPort.hasPrefix("[")
            ? hostAndPort.prefix { $0 != "]" }.dropFirst()
            : hostAndPort.split(separator: ":", omittingEmptySubsequences: false).first ?? ""
        return !host.isEmpty
    }

    /// `scheme://host[:port]` of a URL, lower-cased, for a CSP source list; nil when the host
    /// and port hold anything but letters, digits and `.-:[]`.
    public static func origin(of url: String) -> String? {
        guard let (scheme, hostAndPort) = authority(of: url), !hostAndPort.isEmpty,
              hostAndPort.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) else { return nil }
        return scheme.lowercased() + "://" + hostAndPort.lowercased()
    }

    /// The scheme and the host-and-port (user info dropped) of `scheme://authority/…`.
    private static func authority(of url: String) -> (scheme: Substring, hostAndPort: Substring)? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return (url[..<schemeEnd.lowerBound], authority.split(separator: "@", omittingEmptySubsequences: false).last ?? "")
    }
}
