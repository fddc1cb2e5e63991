import Foundation
import HTTPKit
import PaymentsDomain
import ServiceSupport

/// Delivers Dintero's server-to-server callback on its own thread, retrying with back-off until
/// the merchant answers 2xx or 4xx (a 4xx is final, as with Dintero) or the attempts run out.
///
/// Honours the options the merchant put on its own callback URL: `method=POST` (the
/// transaction as a JSON body), `delay_callback=<s>` (at most 60), `report_error=true` (also
/// call for cancelled and failed payments) and `report_event=CAPTURE|REFUND|VOID` (also call
/// for those operations). With a signature secret, every call carries `Dintero-Signature`.
struct CallbackDispatcher: Sendable {
    let transport: HTTPTransport
    let state: SandboxState
    let delay: Double
    let attempts: Int
    /// Only `https://` callback URLs are called, as with Dintero; others are counted and dropped.
    let httpsOnly: Bool
    /// Records each callback sent (the contract test), when set.
    let recorder: ExchangeRecorder?
    let signature: CallbackSignature?
    let log: Logger

    /// What happened, as the callback reports it.
    enum Reason {
        /// The shopper paid (always reported).
        case authorize
        /// CAPTURE, REFUND or VOID (reported with `report_event`).
        case event(String)
        /// The payment was cancelled or failed (reported with `report_error=true`).
        case error(String)
    }

    /// Calls `callbackURL` (the merchant's, with its options) about `reason`, adding `parameters`.
    func deliver(to callbackURL: String, _ reason: Reason, parameters: [(String, String)], body: JSONValue? = nil) {
        guard attempts > 0 else { return }
        guard !httpsOnly || callbackURL.lowercased().hasPrefix("https://") else {
            state.count { $0.callbacksRefusedInsecure += 1 }
            log.warning("callback to \(callbackURL) not delivered: Dintero calls back to HTTPS URLs only")
            return
        }
        let options = Self.options(of: callbackURL)
        var parameters = parameters + [("time", Timestamp.iso8601(epochMilliseconds: Date().epochMilliseconds))]
        switch reason {
        case .authorize:
            parameters.append(("event", "AUTHORIZE"))
        case .event(let name):
            guard options.contains(where: { $0.name == "report_event" && $0.value.uppercased() == name }) else { return }
            parameters += [("event", name), ("event_id", UUID().uuidString.lowercased())]
        case .error(let error):
            guard options.contains(where: { $0.name == "report_error" && $0.value == "true" }) else { return }
            parameters.append(("error", error))
        }
        let url = SandboxAPI.url(callbackURL, adding: parameters)
        let method = options.contains { $0.name == "method" && $0.value.uppercased() == "POST" } ? "POST" : "GET"
        let requested = options.first { $0.name == "delay_callback" }.flatMap { Double($0.value) }.map { min(60, max(0, $0)) }
        let delivery = UUID().uuidString.lowercased()
        Thread.detachNewThread { [self] in
            var wait = requested ?? delay
            for attempt in 1...attempts {
                if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
                state.count { $0.callbackAttempts += 1 }
                var headers: HTTPFields = [("event-delivery", delivery)]
                if let signature, let (host, path, query) = Self.parts(of: url) {
                    headers.append("Dintero-Signature", signature.header(
                        timestamp: Int64(Date().timeIntervalSince1970), method: method, host: host, path: path, query: query
                    ))
                }
                if body != nil { headers.append("Content-Type", "application/json") }
                let request = TransportRequest(method: method, url: url, headers: headers, body: method == "POST" ? body?.serialized : nil, timeout: 10)
                if attempt == 1 { recorder?.recordCallback(method: method, url: url, body: request.body) }
                if let response = try? transport.send(request), response.status.code < 500 {
                    state.count { $0.callbacksDelivered += 1 }
                    if !response.status.isSuccess { log.info("callback to \(url) answered \(response.status.code); not retried") }
                    return
                }
                log.info("callback attempt \(attempt) to \(url) failed; retrying")
                wait = min(60, max(0.5, wait * 2))
            }
            log.warning("callback to \(url) gave up after \(attempts) attempts")
        }
    }

    static func options(of url: String) -> [(name: String, value: String)] {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return [] }
        return FormEncoding.decode(String(query))
    }

    /// Host (with port), path and raw query of an absolute URL, as the signature covers them.
    static func parts(of url: String) -> (host: String, path: String, query: String)? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" }
        let pathAndQuery = rest.dropFirst(host.count)
        let split = pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(host), split.first.map(String.init).flatMap { $0.isEmpty ? nil : $0 } ?? "/", split.count > 1 ? String(split[1]) : "")
    }
}
