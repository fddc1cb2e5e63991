/// A request method a route answers. Only these constants exist (a typo such as `"GTE"`
/// does not compile); a request carries whatever method its client sent, as text.
public struct HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method as sent on the wire.
    public let name: String

    private init(_ name: String) { self.name = name }

    public static let get = HTTPMethod("GET")
    public static let head = HTTPMethod("HEAD")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let patch = HTTPMethod("PATCH")
    public static let delete = HTTPMethod("DELETE")

    public var description: String { name }
}
