import CFastCGI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A multi-threaded FastCGI responder on an inherited listening socket.
///
/// Each thread runs its own blocking `FCGX_Accept_r` loop with its own `FCGX_Request` and its
/// own handler, built on that thread by the factory (so per-thread resources such as a
/// database connection never cross threads). ``shutdown()`` lets in-flight requests finish and
/// wakes every thread blocked in `accept`.
public final class FastCGIServer: Sendable {
    /// A request handler owned by one accept thread.
    public typealias Handler = (FastCGIRequest) -> FastCGIResponse

    /// Server settings.
    public struct Configuration: Sendable {
        /// The listening socket; 0 is the FastCGI convention for an inherited socket.
        public var listenSocket: Int32
        /// Number of accept threads.
        public var threads: Int
        /// Largest body read into memory; longer bodies are cut and flagged.
        public var maxBodyBytes: Int

        /// Creates a configuration.
        public init(listenSocket: Int32 = 0, threads: Int = 4, maxBodyBytes: Int = 64 * 1024) {
            self.listenSocket = listenSocket
            self.threads = threads
            self.maxBodyBytes = maxBodyBytes
        }
    }

    private let configuration: Configuration
    private let stopping = Atomic<Bool>(false)
    private let running = Mutex<[Int: DedicatedThread]>([:])

    /// Creates a server; nothing runs until ``start(makeHandler:)``.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// True when fd 0 (or `socket`) is a listening socket, as when started by a FastCGI manager.
    public static func isListeningSocket(_ socket: Int32 = 0) -> Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(socket, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
    }

    /// Initializes libfcgi and starts the accept threads. `makeHandler` runs once on each thread.
    public func start(makeHandler: @escaping @Sendable () throws -> Handler) throws {
        ProcessSignals.installWakeHandler()
        guard FCGX_Init() == 0 else { throw FastCGIError.initFailed }
        for index in 0..<configuration.threads {
            let thread = DedicatedThread { [self] in
                defer { _ = running.withLock { $0.removeValue(forKey: index) } }
                acceptLoop(index: index, makeHandler: makeHandler)
            }
            running.withLock { $0[index] = thread }
            thread.start()
        }
    }

    /// Stops accepting, lets every thread finish its current request, and returns once all
    /// accept threads have exited.
    public func shutdown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        FCGX_ShutdownPending()
        // A thread can check the flag just before it blocks in accept, so keep waking the ones
        // still running until they are gone.
        while true {
            let threads = running.withLock { Array($0.values) }
            if threads.isEmpty { return }
            for thread in threads { thread.signal(ProcessSignals.wake) }
            usleep(20_000)
        }
    }

    /// Number of accept threads still running.
    public var runningThreads: Int { running.withLock { $0.count } }

    private func acceptLoop(index: Int, makeHandler: @Sendable () throws -> Handler) {
        ProcessSignals.unblockWake()
        let handler: Handler
        do {
            handler = try makeHandler()
        } catch {
            FastCGILog.error("accept thread \(index) could not start: \(error)")
            return
        }
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        guard FCGX_InitRequest(request, configuration.listenSocket, Int32(FCGI_FAIL_ACCEPT_ON_INTR)) == 0 else {
            FastCGILog.error("accept thread \(index): FCGX_InitRequest failed")
            return
        }
        while !stopping.load(ordering: .sequentiallyConsistent) {
            if FCGX_Accept_r(request) < 0 {
                if stopping.load(ordering: .sequentiallyConsistent) { break }
                let code = errno
                if code != EINTR {
                    FastCGILog.error("accept thread \(index): accept failed (errno \(code))")
                    usleep(50_000)
                }
                continue
            }
            let incoming = read(request)
            let response = handler(incoming)
            write(response, to: request)
            FCGX_Finish_r(request)
        }
        FCGX_Free(request, 0)
    }

    private func read(_ request: UnsafeMutablePointer<FCGX_Request>) -> FastCGIRequest {
        var params: [String: String] = [:]
        if var cursor = request.pointee.envp {
            while let entry = cursor.pointee {
                let pair = String(cString: entry)
                if let equals = pair.firstIndex(of: "=") {
                    params[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
                }
                cursor += 1
            }
        }
        let limit = configuration.maxBodyBytes
        var body: [UInt8] = []
        var exceeded = false
        var chunk = [CChar](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBufferPointer {
                FCGX_GetStr($0.baseAddress, Int32($0.count), request.pointee.in)
            }
            if count <= 0 { break }
            if body.count + Int(count) > limit {
                exceeded = true
                // Keep reading to drain the stream, but stop buffering.
                continue
            }
            chunk.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: Int(count)) {
                    body.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(count)))
                }
            }
        }
        return FastCGIRequest(params: params, body: body, bodyExceedsLimit: exceeded)
    }

    private func write(_ response: FastCGIResponse, to request: UnsafeMutablePointer<FCGX_Request>) {
        var head = "Status: \(response.status) \(HTTPReason.phrase(response.status))\r\n"
        for header in response.headers where !header.name.contains("\r") && !header.value.contains("\r") {
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), request.pointee.out)
            }
        }
    }
}

/// Failures of the FastCGI layer.
public enum FastCGIError: Error, CustomStringConvertible {
    case initFailed
    case openSocketFailed(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .initFailed: return "FCGX_Init failed"
        case .openSocketFailed(let path, let code):
            return "cannot listen on \(path): \(String(cString: strerror(code)))"
        }
    }
}
