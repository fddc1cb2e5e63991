import ServiceSupport

/// Path parameters captured by a route pattern such as `:id`.
public struct RouteParameters: Sendable {
    private var values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    /// The decoded value of a `:name` segment; throws when the route has no such parameter
    /// (a programming error, answered as 500 and logged, never silently an empty string).
    public func require(_ name: String) throws -> String {
        guard let value = values[name] else { throw RouterError.missingParameter(name) }
        return value
    }
}

/// Errors of the router itself.
public enum RouterError: Error, CustomStringConvertible {
    /// A handler asked for a parameter its pattern does not capture.
    case missingParameter(String)

    public var description: String {
        switch self {
        case .missingParameter(let name): return "route has no parameter :\(name)"
        }
    }
}

/// Turns a ``Problem`` into the response shape of one API.
public protocol ErrorRenderer: Sendable {
    /// The response for `problem`, raised while answering `request`.
    func render(_ problem: Problem, for request: HTTPRequest) -> HTTPResponse
}

/// RFC 9457 `application/problem+json`, the default error shape.
public struct ProblemRenderer: ErrorRenderer {
    /// Creates the renderer.
    public init() {}

    public func render(_ problem: Problem, for request: HTTPRequest) -> HTTPResponse { problem.response }
}

/// Routes under one path prefix that share an error shape.
public struct RouteGroup {
    /// A route handler; throw ``Problem`` for client-visible errors.
    public typealias Handler = (HTTPRequest, RouteParameters) throws -> HTTPResponse

    struct Route {
        let method: HTTPMethod
        let segments: [String]
        /// `/orders/:id`, as registered (built once here, not per request).
        let pattern: String
        /// The handler waits on an outbound call (Dintero, the card provider).
        let callsOut: Bool
        let handler: Handler
    }

    let prefix: [String]
    let errors: ErrorRenderer
    var routes: [Route] = []

    /// Adds a route. `pattern` is relative to the group's prefix (`""` is the prefix itself);
    /// segments starting with `:` capture a parameter.
    /// `callsOut` marks a handler that waits on an outbound call, so the server can answer it
    /// off its accept threads (``Router/callsOut(_:)``).
    public mutating func on(_ method: HTTPMethod, _ pattern: String, callsOut: Bool = false, _ handler: @escaping Handler) {
        let segments = prefix + Router.segments(pattern)
        routes.append(Route(
            method: method, segments: segments, pattern: "/" + segments.joined(separator: "/"), callsOut: callsOut, handler: handler
        ))
    }
}

extension RouteGroup {
    /// A handler of a route that needs a credential: it receives what `authenticate` said of
    /// the request (the API key's scope).
    public typealias AuthenticatedHandler = (HTTPRequest, RouteParameters, String) throws -> HTTPResponse

    /// Routes that all require a credential, checked once for the group: `authenticate` runs
    /// before each handler and its error (401, 403) is the answer when it throws.
    public struct Authenticated {
        fileprivate var group: RouteGroup
        fileprivate let authenticate: (HTTPRequest) throws -> String

        /// Adds a route whose handler runs only for an authenticated request.
        public mutating func on(_ method: HTTPMethod, _ pattern: String, callsOut: Bool = false, _ handler: @escaping AuthenticatedHandler) {
            let authenticate = authenticate
            group.on(method, pattern, callsOut: callsOut) { request, parameters in
                try handler(request, parameters, try authenticate(request))
            }
        }
    }

    /// Adds the routes `build` declares, each behind `authenticate`.
    public mutating func authenticated(by authenticate: @escaping (HTTPRequest) throws -> String, _ build: (inout Authenticated) -> Void) {
        var routes = Authenticated(group: RouteGroup(prefix: prefix, errors: errors), authenticate: authenticate)
        build(&routes)
        self.routes += routes.group.routes
    }
}

/// Method + path routing. 404, 405, thrown problems and unexpected errors are rendered by the
/// ``ErrorRenderer`` of the group the path falls under, so each API keeps one error shape.
///
/// A router is built per accept thread, so its handlers may capture thread-confined resources.
public struct Router: HTTPResponder {
    /// Says which unexpected errors a client should see as a specific problem (a database
    /// that cannot be reached is a 503 with `Retry-After`, not a 500); nil: a 500.
    public typealias ErrorTranslation = (any Error) -> Problem?

    private var groups: [RouteGroup] = []
    private let fallback: ErrorRenderer
    private let log: Logger
    private let translate: ErrorTranslation

    /// Creates an empty router; paths outside every group use `errors`.
    public init(log: Logger, errors: ErrorRenderer = ProblemRenderer(), translate: @escaping ErrorTranslation = { _ in nil }) {
        self.log = log
        self.fallback = errors
        self.translate = translate
    }

    /// Adds a group of routes under `prefix` (`/payments`) with its own error shape.
    public mutating func group(_ prefix: String, errors: ErrorRenderer = ProblemRenderer(), _ build: (inout RouteGroup) -> Void) {
        var group = RouteGroup(prefix: Self.segments(prefix), errors: errors)
        build(&group)
        groups.append(group)
    }

    /// Routes a request and turns thrown errors into responses. A `HEAD` is answered as its
    /// `GET` without the body, with the `Content-Length` the `GET` would send.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        var response = answer(request)
        guard request.method == HTTPMethod.head.name else { return response }
        if let start = response.deferred {
            response.deferred = { reply in start { reply(Self.head($0)) } }
            return response
        }
        return Self.head(response)
    }

    private static func head(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.contentLength = response.body.count
        response.body = []
        return response
    }

    private func answer(_ request: HTTPRequest) -> HTTPResponse {
        let path = Self.segments(request.path).map { FormEncoding.percentDecode($0) }
        // `/orders//` or `/orders/` is not `/orders`: an empty segment matches no route.
        if Self.hasEmptySegment(request.path) {
            return renderer(for: path).render(Problem.notFound("No resource at \(request.path)."), for: request)
        }
        // The server read no more than its limit: every route answers 413, whatever it reads.
        if request.bodyExceedsLimit {
            return renderer(for: path).render(.payloadTooLarge, for: request)
        }
        if let field = FormEncoding.firstInvalidField(request.query) {
            return renderer(for: path).render(Problem.invalidField(field, "Query parameter \(field) has a malformed percent escape or is not valid UTF-8."), for: request)
        }
        var allowed: [String] = []
        for group in groups {
            for route in group.routes {
                guard let parameters = Self.match(route.segments, path) else { continue }
                guard Self.matches(route, request.method) else {
                    allowed.append(route.method.name)
                    if route.method == .get { allowed.append(HTTPMethod.head.name) }
                    continue
                }
                var response: HTTPResponse
                do {
                    response = try route.handler(request, parameters)
                } catch let problem as Problem {
                    response = group.errors.render(problem, for: request)
                } catch {
                    if let problem = translate(error) {
                        log.warning("\(request.method) \(request.path): \(problem.status.code): \(error)")
                        response = group.errors.render(problem, for: request)
                    } else {
                        log.error("\(request.method) \(request.path) failed: \(error)")
                        response = group.errors.render(
                            Problem(status: .internalServerError, title: "Internal Server Error", detail: "The request could not be processed."),
                            for: request
                        )
                    }
                }
                response.route = route.pattern
                return response
            }
        }
        let errors = renderer(for: path)
        if !allowed.isEmpty {
            var response = errors.render(Problem(
                status: .methodNotAllowed,
                title: "Method Not Allowed",
                detail: "\(request.method) is not allowed on \(request.path); allowed: \(allowed.joined(separator: ", "))."
            ), for: request)
            response.headers.append("Allow", allowed.joined(separator: ", "))
            return response
        }
        return errors.render(Problem.notFound("No resource at \(request.path)."), for: request)
    }

    /// True when the route that answers `request` waits on an outbound call.
    public func callsOut(_ request: HTTPRequest) -> Bool {
        guard !request.bodyExceedsLimit else { return false }
        let path = Self.segments(request.path).map { FormEncoding.percentDecode($0) }
        for group in groups {
            for route in group.routes where route.callsOut && Self.matches(route, request.method) && Self.match(route.segments, path) != nil {
                return true
            }
        }
        return false
    }

    /// `problem` as the group that `request`'s path falls under renders it.
    public func render(_ problem: Problem, for request: HTTPRequest) -> HTTPResponse {
        renderer(for: Self.segments(request.path)).render(problem, for: request)
    }

    private static func matches(_ route: RouteGroup.Route, _ method: String) -> Bool {
        route.method.name == method || (route.method == .get && method == HTTPMethod.head.name)
    }

    /// The renderer of the group with the longest prefix that `path` starts with.
    private func renderer(for path: [String]) -> ErrorRenderer {
        groups.filter { path.starts(with: $0.prefix) }.max { $0.prefix.count < $1.prefix.count }?.errors ?? fallback
    }

    /// `//` anywhere, or a trailing `/` after something: byte checks, no Foundation.
    private static func hasEmptySegment(_ path: String) -> Bool {
        var previousSlash = false
        for byte in path.utf8 {
            let slash = byte == UInt8(ascii: "/")
            if slash && previousSlash { return true }
            previousSlash = slash
        }
        return previousSlash && path.utf8.count > 1
    }

    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func match(_ pattern: [String], _ path: [String]) -> RouteParameters? {
        guard pattern.count == path.count else { return nil }
        // Literal segments first: most routes fail there, before anything is captured.
        for (expected, actual) in zip(pattern, path) where !expected.hasPrefix(":") && expected != actual {
            return nil
        }
        var captured: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) where expected.hasPrefix(":") {
            captured[String(expected.dropFirst())] = actual
        }
        return RouteParameters(captured)
    }
}
