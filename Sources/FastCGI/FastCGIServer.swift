import CFastCGI
import Dispatch
import HTTPKit
import ProcessSupervision
import ServiceSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A multi-threaded FastCGI responder on an inherited listening socket.
///
/// Each thread runs its own blocking `FCGX_Accept_r` loop with its own `FCGX_Request` and its
/// own responder, built on that thread by the factory (so per-thread resources such as a
/// database connection never cross threads). ``shutdown()`` lets in-flight requests finish and
/// wakes every thread blocked in `accept`.
///
/// libfcgi reads each request; then the thread takes the request's connection and lets go of
/// libfcgi's per-request buffers at once, and the answer is framed by ``FastCGIReply``. So a
/// responder that answers ``HTTPResponse/later(_:)`` parks the request for the price of its
/// connection: the accept thread goes straight back to accepting, and the reply (from any
/// thread) writes the answer and closes the connection there.
public final class FastCGIServer: Sendable {
    /// Server settings.
    public struct Configuration: Sendable {
        /// Receives one access line per request (method, route, status, duration); nil: none.
        public var accessLog: Logger?
        /// The listening socket; fd 0 is the FastCGI convention for an inherited socket.
        public var listenSocket: FileDescriptor
        /// Number of accept threads.
        public var threads: Int
        /// Largest body read into memory; longer bodies are cut and flagged.
        public var maxBodyBytes: Int
        /// Called on the serving thread after each response is written (for metrics).
        public var observer: (@Sendable (CompletedRequest) -> Void)?

        /// Creates a configuration.
        public init(
            listenSocket: FileDescriptor = .standardInput, threads: Int = 4, maxBodyBytes: Int = 64 * 1024, accessLog: Logger? = nil,
            observer: (@Sendable (CompletedRequest) -> Void)? = nil
        ) {
            self.accessLog = accessLog
            self.listenSocket = listenSocket
            self.threads = threads
            self.maxBodyBytes = maxBodyBytes
            self.observer = observer
        }
    }

    /// One served request, as the observer sees it.
    public struct CompletedRequest: Sendable {
        public var method: String
        /// The route pattern that answered, or nil when none matched.
        public var route: String?
        public var status: Int
        /// From accept to the response written, in seconds.
        public var seconds: Double
    }

    /// What the accept threads are doing (php-fpm's active/idle processes and accepted conn).
    public struct Statistics: Sendable {
        /// Accept threads started.
        public var threads: Int
        /// Threads serving a request right now (the rest wait in accept).
        public var busy: Int
        /// Requests accepted since start.
        public var accepted: Int
        /// Requests parked right now: accepted, answer not written yet, no accept thread held.
        public var parked: Int = 0
    }

    private let configuration: Configuration
    private let stopping = Atomic<Bool>(false)
    private let running = Mutex<[Int: DedicatedThread]>([:])
    private let busy = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)
    fileprivate let parked = Atomic<Int>(0)

    /// Creates a server; nothing runs until ``start(makeResponder:)``.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Initializes libfcgi and starts the accept threads. `makeResponder` runs once on each thread.
    public func start(makeResponder: @escaping @Sendable () throws -> any HTTPResponder) throws {
        try ProcessSignals.installWakeHandler()
        guard FCGX_Init() == 0 else { throw FastCGIError.initFailed }
        for index in 0..<configuration.threads {
            let thread = DedicatedThread { [self] in
                defer { _ = running.withLock { $0.removeValue(forKey: index) } }
                acceptLoop(index: index, makeResponder: makeResponder)
            }
            running.withLock { $0[index] = thread }
            let started = thread.start()
            precondition(started, "cannot start accept thread \(index)")
        }
    }

    /// Stops accepting, lets every thread finish its current request, and returns once all
    /// accept threads have exited and every parked request has been answered.
    public func shutdown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        FCGX_ShutdownPending()
        // A thread can check the flag just before it blocks in accept, so keep waking the ones
        // still running until they are gone.
        while true {
            let threads = running.withLock { Array($0.values) }
            if threads.isEmpty { break }
            for thread in threads { thread.signal(ProcessSignals.wake) }
            usleep(20_000)
        }
        // Parked requests end by themselves (their outbound calls have timeouts).
        while parked.load(ordering: .sequentiallyConsistent) > 0 { usleep(10_000) }
    }

    /// The accept threads' current state.
    public var statistics: Statistics {
        Statistics(
            threads: configuration.threads,
            busy: busy.load(ordering: .relaxed),
            accepted: accepted.load(ordering: .relaxed),
            parked: parked.load(ordering: .relaxed)
        )
    }

    /// Starts, serves until SIGTERM or SIGINT, then drains in-flight requests. Call
    /// ``ProcessSignals/blockTermination()`` first thing in `main`.
    public func serveUntilTerminated(
        onSignal: (Int32) -> Void = { _ in },
        makeResponder: @escaping @Sendable () throws -> any HTTPResponder
    ) throws {
        try start(makeResponder: makeResponder)
        onSignal(ProcessSignals.waitForTermination())
        shutdown()
    }

    /// Serves responders from `makeResponder` on `threads` accept threads until SIGTERM or
    /// SIGINT (see ``serveUntilTerminated(onSignal:makeResponder:)``).
    public static func serve(
        socket: FileDescriptor = .standardInput,
        threads: Int,
        maxBodyBytes: Int,
        accessLog: Logger? = nil,
        onSignal: (Int32) -> Void = { _ in },
        makeResponder: @escaping @Sendable () throws -> any HTTPResponder
    ) throws {
        try FastCGIServer(configuration: .init(listenSocket: socket, threads: threads, maxBodyBytes: maxBodyBytes, accessLog: accessLog))
            .serveUntilTerminated(onSignal: onSignal, makeResponder: makeResponder)
    }

    private func acceptLoop(index: Int, makeResponder: @Sendable () throws -> any HTTPResponder) {
        let responder: any HTTPResponder
        do {
            try ProcessSignals.unblockWake()
            responder = try makeResponder()
        } catch {
            FastCGILog.error("accept thread \(index) could not start: \(error)")
            return
        }
        guard let request = makeRequest(index) else { return }
        defer { request.deallocate() }
        // One read buffer per thread, reused for every request.
        let chunk = UnsafeMutableBufferPointer<CChar>.allocate(capacity: 16 * 1024)
        defer { chunk.deallocate() }
        while !stopping.load(ordering: .sequentiallyConsistent) {
            if FCGX_Accept_r(request) < 0 {
                let code = errno
                if stopping.load(ordering: .sequentiallyConsistent) { break }
                if code != EINTR {
                    FastCGILog.error("accept thread \(index): accept failed: \(SystemCallError(call: "FCGX_Accept_r", subject: "fd \(configuration.listenSocket.rawValue)", errno: code))")
                    usleep(50_000)
                }
                continue
            }
            let started = DispatchTime.now().uptimeNanoseconds
            busy.add(1, ordering: .relaxed)
            accepted.add(1, ordering: .relaxed)
            defer { busy.subtract(1, ordering: .relaxed) }
            let incoming = read(request, into: chunk)
            let reply = release(request)
            RequestContext.with(id: incoming.requestID) {
                let response = responder.respond(to: incoming)
                if let start = response.deferred {
                    let parkedRequest = ParkedRequest(reply, incoming: incoming, started: started, server: self)
                    parked.add(1, ordering: .sequentiallyConsistent)
                    start { parkedRequest.finish($0) }
                } else {
                    complete(reply, incoming: incoming, response: response, started: started)
                }
            }
        }
        FCGX_Free(request, 0)
    }

    /// Takes a read request's connection and frees libfcgi's buffers and parameters now, so
    /// that the next `FCGX_Accept_r` on this `FCGX_Request` accepts a new connection instead of
    /// finishing this one.
    private func release(_ request: UnsafeMutablePointer<FCGX_Request>) -> FastCGIReply {
        let reply = FastCGIReply(socket: request.pointee.ipcFd, requestID: UInt16(truncatingIfNeeded: request.pointee.requestId))
        request.pointee.ipcFd = -1
        FCGX_Free(request, 0)
        return reply
    }

    /// A new request for an accept loop, or nil (logged) when libfcgi cannot set one up.
    private func makeRequest(_ index: Int) -> UnsafeMutablePointer<FCGX_Request>? {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        guard FCGX_InitRequest(request, configuration.listenSocket.rawValue, Int32(FCGI_FAIL_ACCEPT_ON_INTR)) == 0 else {
            FastCGILog.error("accept thread \(index): FCGX_InitRequest failed")
            request.deallocate()
            return nil
        }
        return request
    }

    /// Writes `response`, ends the request, and reports it to the observer and access log.
    fileprivate func complete(_ reply: FastCGIReply, incoming: HTTPRequest, response: HTTPResponse, started: UInt64) {
        var response = response
        if let id = incoming.requestID { response.headers.append("X-Request-Id", id) }
        reply.send(Self.cgiResponse(response))
        let nanoseconds = DispatchTime.now().uptimeNanoseconds - started
        configuration.observer?(CompletedRequest(
            method: incoming.method, route: response.route, status: response.status.code, seconds: Double(nanoseconds) / 1e9
        ))
        if let log = configuration.accessLog, log.isEnabled(.info) {
            let micros = nanoseconds / 1_000
            log.log(.info, "request", [
                ("method", incoming.method), ("route", response.route ?? "-"), ("status", String(response.status.code)),
                ("duration_ms", "\(micros / 1_000).\(String(micros % 1_000 + 1_000).dropFirst())"), ("bytes", String(response.body.count)),
            ])
        }
    }

    /// Reads one request; `chunk` is the thread's reusable read buffer.
    private func read(_ request: UnsafeMutablePointer<FCGX_Request>, into chunk: UnsafeMutableBufferPointer<CChar>) -> HTTPRequest {
        let limit = configuration.maxBodyBytes
        var body: [UInt8] = []
        var exceeded = false
        while true {
            let count = Int(FCGX_GetStr(chunk.baseAddress, Int32(chunk.count), request.pointee.in))
            if count <= 0 { break }
            if exceeded || body.count + count > limit {
                // Keep reading to drain the stream, but keep nothing: no route ever sees a
                // body cut short, or spliced from a later, smaller chunk.
                exceeded = true
                body = []
                continue
            }
            chunk.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: count) {
                body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
            }
        }
        return HTTPRequest(environment: request.pointee.envp, body: body, bodyExceedsLimit: exceeded)
    }

    /// The response as CGI output: `Status`, the headers, `Content-Length`, a blank line and the
    /// body. A header with CR or LF in it is dropped, never sent.
    private static func cgiResponse(_ response: HTTPResponse) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + response.body.count)
        bytes.append(contentsOf: "Status: ".utf8)
        bytes.append(contentsOf: String(response.status.code).utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: response.status.reasonPhrase.utf8)
        bytes.append(contentsOf: lineEnd)
        for header in response.headers where !breaksLine(header.name) && !breaksLine(header.value) {
            bytes.append(contentsOf: header.name.utf8)
            bytes.append(contentsOf: separator)
            bytes.append(contentsOf: header.value.utf8)
            bytes.append(contentsOf: lineEnd)
        }
        bytes.append(contentsOf: "Content-Length: ".utf8)
        bytes.append(contentsOf: String(response.contentLength ?? response.body.count).utf8)
        bytes.append(contentsOf: lineEnd)
        bytes.append(contentsOf: lineEnd)
        bytes.append(contentsOf: response.body)
        return bytes
    }

    private static let lineEnd: [UInt8] = [13, 10]
    private static let separator: [UInt8] = [UInt8(ascii: ":"), UInt8(ascii: " ")]

    private static func breaksLine(_ text: String) -> Bool {
        text.utf8.contains { $0 == 13 || $0 == 10 }
    }
}

/// Failures of the FastCGI layer.
public enum FastCGIError: Error, CustomStringConvertible {
    case initFailed

    public var description: String {
        switch self {
        case .initFailed: return "FCGX_Init failed"
        }
    }
}

/// A request whose answer comes later from another thread: its connection waits in the
/// ``FastCGIReply`` until ``finish(_:)`` has written the answer.
private final class ParkedRequest: Sendable {
    private let reply: FastCGIReply
    private let incoming: HTTPRequest
    private let started: UInt64
    private let server: FastCGIServer
    // A second reply is a no-op.
    private let answered = Atomic<Bool>(false)

    init(_ reply: FastCGIReply, incoming: HTTPRequest, started: UInt64, server: FastCGIServer) {
        self.reply = reply
        self.incoming = incoming
        self.started = started
        self.server = server
    }

    func finish(_ response: HTTPResponse) {
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
        RequestContext.with(id: incoming.requestID) {
            server.complete(reply, incoming: incoming, response: response, started: started)
        }
        server.parked.subtract(1, ordering: .sequentiallyConsistent)
    }
}
