/// The one check for "an absolute http(s) URL" used by settings, request fields and the sandbox.
public enum AbsoluteHTTPURL {
    /// True for `http://host[:port][/path][?query]` or `https://…`: a scheme of http or https
    /// (any case), a non-empty authority, and no whitespace, quotes or angle brackets anywhere
    /// (so the value is safe to put in a header or an HTML attribute after escaping).
    public static func isValid(_ text: String) -> Bool {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0 == "\"" || $0 == "<" || $0 == ">" || $0 == "\\" })
        else { return false }
        let afterScheme = text[text.index(text.firstIndex(of: ":")!, offsetBy: 3)...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        // An IPv6 literal ([::1]) carries colons of its own.
        let host = hostAndPort.hasPrefix("[")
            ? hostAndPort.prefix { $0 != "]" }.dropFirst()
            : hostAndPort.split(separator: ":", omittingEmptySubsequences: false).first ?? ""
        return !host.isEmpty
    }
}
