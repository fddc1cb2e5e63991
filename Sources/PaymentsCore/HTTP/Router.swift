/// Path parameters captured by a route pattern such as `/orders/:id`.
public struct RouteParameters: Sendable {
    private var values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    /// The decoded value of a `:name` segment.
    public subscript(_ name: String) -> String { values[name] ?? "" }
}

/// Method + path routing with 404 and 405 answered as problem documents.
///
/// A router is built per accept thread, so its handlers may capture thread-confined resources.
public struct Router {
    /// A route handler; throw ``Problem`` for client-visible errors.
    public typealias Handler = (HTTPRequest, RouteParameters) throws -> HTTPResponse

    private struct Route {
        let method: String
        let segments: [String]
        let handler: Handler
    }

    private var routes: [Route] = []
    private let log: Logger

    /// Creates an empty router.
    public init(log: Logger) {
        self.log = log
    }

    /// Adds a route; pattern segments starting with `:` capture a parameter.
    public mutating func on(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, segments: Self.segments(pattern), handler: handler))
    }

    /// Routes a request and turns thrown errors into problem responses.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let path = Self.segments(request.path).map { FormEncoding.percentDecode($0) }
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            guard route.method == request.method || (route.method == "GET" && request.method == "HEAD") else {
                allowed.append(route.method)
                continue
            }
            do {
                var response = try route.handler(request, parameters)
                if request.method == "HEAD" { response.body = [] }
                return response
            } catch let problem as Problem {
                return problem.response
            } catch {
                log.error("\(request.method) \(request.path) failed: \(error)")
                return Problem(status: 500, title: "Internal Server Error", detail: "The request could not be processed.").response
            }
        }
        if !allowed.isEmpty {
            var response = Problem(
                status: 405,
                title: "Method Not Allowed",
                detail: "\(request.method) is not allowed on \(request.path); allowed: \(allowed.joined(separator: ", "))."
            ).response
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
        return Problem.notFound("No resource at \(request.path).").response
    }

    private static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func match(_ pattern: [String], _ path: [String]) -> RouteParameters? {
        guard pattern.count == path.count else { return nil }
        var captured: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix(":") {
                captured[String(expected.dropFirst())] = actual
            } else if expected != actual {
                return nil
            }
        }
        return RouteParameters(captured)
    }
}
