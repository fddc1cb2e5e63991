import Foundation
import HTTPKit
import ServiceSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// ``HTTPTransport`` over Foundation's URLSession (one session per process, shared by threads).
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    /// Creates a transport with no cookies, no cache and no credential storage, and at most
    /// `maxConnectionsPerHost` connections to one host (calls beyond wait inside URLSession).
    /// With `followRedirects` false, a 3xx answer is returned as it is (tests read `Location`).
    public init(followRedirects: Bool = true, maxConnectionsPerHost: Int = 16) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        // With .never, FoundationNetworking skips parsing every response's headers for cookies
        // (measured: ~4 % of the worker's CPU under POST /orders).
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = maxConnectionsPerHost
        session = URLSession(
            configuration: configuration,
            // Only a session delegate sees redirects; a task delegate would not be asked.
            delegate: followRedirects ? nil : RedirectRefuser(),
            delegateQueue: nil
        )
    }

    deinit {
        session.invalidateAndCancel()
    }

    public func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        guard let url = URL(string: request.url) else { throw .unreachable("invalid URL \(request.url)") }
        var urlRequest = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for header in request.headers { urlRequest.setValue(header.value, forHTTPHeaderField: header.name) }
        if let body = request.body { urlRequest.httpBody = Data(body) }

        let outcome = Mutex<Result<TransportResponse, TransportError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        // The async API hands the answer over on URLSession's own queue, where a completion
        // handler would first be queued to the delegate queue's thread: one thread hand-off
        // fewer per call (measured: ~10 % of the worker's CPU under POST /orders). The task
        // runs on the inline executor: it starts on this thread and ends on URLSession's.
        Task(executorPreference: InlineTaskExecutor.shared) { [session, urlRequest] in
            let result = await Self.perform(urlRequest, on: session)
            outcome.withLock { $0 = result }
            done.signal()
        }
        // A long wait is shallow: the stack the request's earlier work touched is not needed
        // while it lasts. URLSession's timeout is per idle interval; this bounds the whole call
        // as well. The request is not cancelled: cancelling `data(for:)` while its answer
        // arrives can deadlock FoundationNetworking; its own timeout ends it.
        if ThreadStack.wait(on: done, until: .now() + request.timeout + 1) == .timedOut {
            throw .timedOut
        }
        return try outcome.withLock({ $0 })!.get()
    }

    private static func perform(_ request: URLRequest, on session: URLSession) async -> Result<TransportResponse, TransportError> {
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return .failure(.unreachable("no HTTP response")) }
            var headers = HTTPFields()
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers.append(name, value) }
            }
            return .success(TransportResponse(status: HTTPStatus(http.statusCode), body: [UInt8](data), headers: headers))
        } catch let error as URLError {
            return .failure(error.code == .timedOut ? .timedOut : .unreachable(error.localizedDescription))
        } catch {
            return .failure(.unreachable(error.localizedDescription))
        }
    }
}

/// Hands a redirect response back to the caller instead of following it.
private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
