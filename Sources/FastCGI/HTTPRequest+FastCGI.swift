#if canImport(Glibc)
import Glibc
#endif
import HTTPKit
import ServiceSupport

extension HTTPRequest {
    /// Maps the CGI parameters of one FastCGI request (`NAME=value` C strings) to a request:
    /// `REQUEST_URI` (raw, undecoded) gives the path, `HTTP_*`, `CONTENT_TYPE` and
    /// `CONTENT_LENGTH` the headers. One pass over the bytes; strings are made only for the
    /// parameters a request needs, not for the thirty-odd nginx sends.
    init(environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, body: [UInt8], bodyExceedsLimit: Bool) {
        var method = "GET", uri: String?, documentURI: String?, query = "", requestID: String?
        var headers = HTTPFields()
        if var cursor = environment {
            while let entry = cursor.pointee {
                cursor += 1
                let length = strlen(entry)
                entry.withMemoryRebound(to: UInt8.self, capacity: length) { start in
                    let bytes = UnsafeBufferPointer(start: start, count: length)
                    guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return }
                    let name = UnsafeBufferPointer(rebasing: bytes[..<equals])
                    let value = { String(decoding: UnsafeBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self) }
                    if name.starts(with: Self.httpPrefix) {
                        headers.append(Self.headerName(UnsafeBufferPointer(rebasing: name[5...])), value())
                        return
                    }
                    switch name.count {
                    case 10 where name.elementsEqual(Self.requestID): requestID = Self.validRequestID(value())
                    case 11 where name.elementsEqual(Self.requestURI): uri = value()
                    case 12 where name.elementsEqual(Self.documentURI): documentURI = value()
                    case 12 where name.elementsEqual(Self.queryString): query = value()
                    case 12 where name.elementsEqual(Self.contentType):
                        let text = value()
                        if !text.isEmpty { headers.append("content-type", text) }
                    case 14 where name.elementsEqual(Self.requestMethod): method = value()
                    case 14 where name.elementsEqual(Self.contentLength):
                        let text = value()
                        if !text.isEmpty { headers.append("content-length", text) }
                    default: break
                    }
                }
            }
        }
        let target = uri ?? documentURI ?? "/"
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(target[..<$0]) } ?? target
        self.init(
            method: method, path: path, query: query, headers: headers, body: body, bodyExceedsLimit: bodyExceedsLimit,
            requestID: requestID ?? RandomUUID.hex128()
        )
    }

    private static let httpPrefix = Array("HTTP_".utf8)
    private static let requestID = Array("REQUEST_ID".utf8)
    private static let requestURI = Array("REQUEST_URI".utf8)
    private static let documentURI = Array("DOCUMENT_URI".utf8)
    private static let queryString = Array("QUERY_STRING".utf8)
    private static let contentType = Array("CONTENT_TYPE".utf8)
    private static let requestMethod = Array("REQUEST_METHOD".utf8)
    private static let contentLength = Array("CONTENT_LENGTH".utf8)

    /// `ACCEPT_ENCODING` → `accept-encoding`.
    private static func headerName(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[index] = byte == UInt8(ascii: "_") ? UInt8(ascii: "-") : (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
            }
            return bytes.count
        }
    }

    /// nginx's `$request_id` is 32 hex digits; anything else (or none) gets an id of our own.
    private static func validRequestID(_ id: String) -> String? {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) || $0 == UInt8(ascii: "-")
        } ? id : nil
    }
}
