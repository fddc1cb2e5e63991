#if canImport(Glibc)
import Glibc
#endif

/// Where one request's answer goes once its libfcgi state is let go: the connection from the
/// web server and the FastCGI request id.
///
/// libfcgi keeps an 8 KiB input and an 8 KiB output buffer per `FCGX_Request` (and the
/// parameters it decoded) until the request is finished; a request waiting on Dintero would hold
/// them for the whole wait (about 20 KB a request: an eighth of a worker's heap with a thousand
/// creates in flight). So the server reads a request with libfcgi, takes its connection and
/// releases the rest at once, and the answer is framed here: the `FCGI_STDOUT` records of the
/// response, the empty one that ends the stream, and `FCGI_END_REQUEST` (FastCGI 1.0, §5.3 and
/// §5.5), in one write. The connection is closed afterwards, as libfcgi closes a connection the
/// web server did not ask to keep (nginx's default; with `fastcgi_keep_conn on` nginx opens a
/// new connection per request all the same), and at once: the request was read to its end, so
/// nothing more can arrive, and libfcgi's shutdown-and-wait for nginx to close first cost a poll
/// and a thread wake-up per request (~12 % of a worker's CPU under GET load).
struct FastCGIReply: Sendable {
    /// The connection the request came on; owned by this reply until ``send(_:)``.
    let socket: Int32
    /// The request id the web server gave the request.
    let requestID: UInt16

    // FastCGI 1.0 record types and the largest record body.
    private static let version: UInt8 = 1
    private static let standardOutput: UInt8 = 6
    private static let endRequest: UInt8 = 3
    private static let maxContent = 65_535

    /// Writes `payload` (the CGI response: head, blank line, body) as the request's output, ends
    /// the request and closes the connection. A connection the web server already closed is
    /// closed here too; nothing is retried.
    func send(_ payload: [UInt8]) {
        var bytes: [UInt8] = []
        let records = payload.count / Self.maxContent + 1
        bytes.reserveCapacity(payload.count + 8 * (records + 2) + 8)
        var start = 0
        while start < payload.count {
            let end = min(start + Self.maxContent, payload.count)
            appendHeader(type: Self.standardOutput, contentLength: end - start, to: &bytes)
            bytes.append(contentsOf: payload[start..<end])
            start = end
        }
        appendHeader(type: Self.standardOutput, contentLength: 0, to: &bytes)
        appendHeader(type: Self.endRequest, contentLength: 8, to: &bytes)
        // appStatus 0, protocolStatus FCGI_REQUEST_COMPLETE, three reserved bytes.
        bytes.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0])
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.send(socket, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
        }
        close(socket)
    }

    private func appendHeader(type: UInt8, contentLength: Int, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: [
            Self.version, type, UInt8(requestID >> 8), UInt8(requestID & 0xFF),
            UInt8(contentLength >> 8), UInt8(contentLength & 0xFF), 0, 0,
        ])
    }
}
