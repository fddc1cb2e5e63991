import Foundation
import HTTPKit
import ServiceSupport

/// Delivers Dintero's server-to-server callback (a GET) on its own thread, retrying with
/// back-off until the merchant answers 2xx or the attempts run out.
struct CallbackDispatcher: Sendable {
    let transport: HTTPTransport
    let state: SandboxState
    let delay: Double
    let attempts: Int
    let log: Logger

    func deliver(to url: String) {
        guard attempts > 0 else { return }
        let delivery = UUID().uuidString.lowercased()
        Thread.detachNewThread { [self] in
            var wait = delay
            for attempt in 1...attempts {
                if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
                state.count { $0.callbackAttempts += 1 }
                let request = TransportRequest(method: "GET", url: url, headers: [("event-delivery", delivery)], timeout: 10)
                if let response = try? transport.send(request), response.status.isSuccess {
                    state.count { $0.callbacksDelivered += 1 }
                    return
                }
                log.info("callback attempt \(attempt) to \(url) failed; retrying")
                wait = max(0.5, wait * 2)
            }
            log.warning("callback to \(url) gave up after \(attempts) attempts")
        }
    }
}
