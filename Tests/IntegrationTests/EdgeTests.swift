import Foundation
import HTTPKit
import LocalStack
import Testing
import TestSupport

extension IntegrationSuite {
    /// nginx as the edge: the production server block loads and behaves on this machine's
    /// nginx, and nginx's own answers to malformed requests are JSON.
    @Suite struct EdgeTests {
        /// Runs a command; returns its exit status and combined output.
        @discardableResult
        static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        /// nginx/payments.conf and payments.stream with a self-signed certificate, loopback
        /// ports and the test stack's socket; the rest of the files exactly as shipped, around
        /// what Debian's /etc/nginx/nginx.conf provides (768 worker connections).
        static func renderProductionConfig(into directory: String, socket: String, httpsPort: Int, httpPort: Int) throws -> String {
            let nginx = "\(StackHarness.repositoryRoot)/nginx"
            try FileManager.default.createDirectory(atPath: "\(directory)/tmp", withIntermediateDirectories: true)
            let certificate = try run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=payments.example.com",
                "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem",
            ])
            #expect(certificate.status == 0, "\(certificate.output)")
            for file in ["payments.locations", "payments.fastcgi", "payments.errors", "payments.internal", "payments.maps", "payments.headers"] {
                try FileManager.default.copyItem(atPath: "\(nginx)/\(file)", toPath: "\(directory)/\(file)")
            }
            let tlsSocket = "unix:\(directory)/tls.sock"
            try render("\(nginx)/payments.conf", into: "\(directory)/payments.conf", [
                ("/etc/ssl/certs/payments.example.com.pem", "\(directory)/cert.pem"),
                ("/etc/ssl/private/payments.example.com.key", "\(directory)/key.pem"),
                ("unix:/run/payments/worker.sock", "unix:\(socket)"),
                ("unix:/run/nginx-payments-tls.sock", tlsSocket),
                ("/var/log/nginx/payments.access.log", "\(directory)/access.log"),
                ("listen 80;", "listen 127.0.0.1:\(httpPort);"),
                ("listen [::]:80;", ""),
            ])
            try render("\(nginx)/payments.stream", into: "\(directory)/payments.stream", [
                ("listen 443;", "listen 127.0.0.1:\(httpsPort);"),
                ("listen [::]:443;", ""),
                ("unix:/run/nginx-payments-tls.sock", tlsSocket),
            ])
            // What Debian's /etc/nginx/nginx.conf provides around modules-enabled and sites-enabled.
            try """
                worker_processes 1;
                load_module /usr/lib/nginx/modules/ngx_stream_module.so;
                include \(directory)/payments.stream;
                daemon off;
                pid \(directory)/nginx.pid;
                error_log \(directory)/error.log warn;
                events { worker_connections 768; }
                http {
                    default_type application/octet-stream;
                    access_log off;
                    client_body_temp_path \(directory)/tmp/body;
                    fastcgi_temp_path \(directory)/tmp/fastcgi;
                    proxy_temp_path \(directory)/tmp/proxy;
                    uwsgi_temp_path \(directory)/tmp/uwsgi;
                    scgi_temp_path \(directory)/tmp/scgi;
                    include \(directory)/payments.conf;
                }
                """.write(toFile: "\(directory)/nginx.conf", atomically: true, encoding: .utf8)
            return "\(directory)/nginx.conf"
        }

        /// Copies a shipped file with `replacements`, each of which must still apply.
        static func render(_ source: String, into target: String, _ replacements: [(String, String)]) throws {
            var text = try String(contentsOfFile: source, encoding: .utf8)
            for (from, to) in replacements {
                #expect(text.contains(from), "\(source) no longer contains \(from)")
                text = text.replacingOccurrences(of: from, with: to)
            }
            try text.write(toFile: target, atomically: true, encoding: .utf8)
        }

        /// The production config in front of a test stack: `body` gets the stack, its shop,
        /// the https base URL and the config's directory; nginx is stopped by its pid after.
        static func withProductionEdge(_ body: (LocalStack, Shop, String, String) throws -> Void) throws {
            try StackHarness.withStack { stack, shop in
                let directory = stack.path("edge")
                let httpsPort = try StackHarness.freePort(), httpPort = try StackHarness.freePort()
                let config = try Self.renderProductionConfig(into: directory, socket: stack.path("worker.sock"), httpsPort: httpsPort, httpPort: httpPort)
                let check = try Self.run("/usr/sbin/nginx", ["-t", "-c", config, "-p", directory])
                #expect(check.status == 0, "\(check.output)")
                #expect(check.output.contains("syntax is ok"))

                let nginx = Process()
                nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
                nginx.arguments = ["-c", config, "-p", directory]
                try nginx.run()
                defer {
                    kill(nginx.processIdentifier, SIGQUIT)
                    if !nginx.waitForExit(timeout: 10) { kill(nginx.processIdentifier, SIGKILL) }
                }
                let base = "https://127.0.0.1:\(httpsPort)"
                #expect(shop.eventually(timeout: 5) { (try? Self.run("/usr/bin/curl", ["-ksS", "-o", "/dev/null", "\(base)/orders"]))?.status == 0 })
                #expect(try Self.run("/usr/bin/curl", ["-sS", "-D", "-", "-o", "/dev/null", "http://127.0.0.1:\(httpPort)/orders"]).output.contains("301"))
                try body(stack, shop, base, directory)
            }
        }

        /// One curl call; returns its output (`-w` formats included).
        static func curl(_ arguments: [String]) throws -> String {
            try run("/usr/bin/curl", ["-ksS"] + arguments).output
        }

        @Test func theProductionServerBlockLoadsAndHoldsTheLine() throws {
            try Self.withProductionEdge { stack, shop, base, directory in
                let head = try Self.curl(["-D", "-", "-o", "/dev/null", "\(base)/orders/openapi.json"])
                #expect(head.contains("HTTP/2 200"))
                #expect(head.lowercased().contains("strict-transport-security: max-age=63072000"))
                #expect(head.lowercased().contains("server: nginx\r\n"))
                // The client's own address reaches the access log through the stream front.
                #expect(try String(contentsOfFile: "\(directory)/access.log", encoding: .utf8).hasPrefix("127.0.0.1 - "))

                // Card submissions are limited per payment and client: 1/s with a burst of 5.
                var statuses: [String] = []
                for _ in 0..<12 {
                    statuses.append(try Self.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                   "-H", "Content-Type: application/json", "-d", "{}", "\(base)/payments/x/card"]))
                }
                #expect(statuses.filter { $0 == "429" }.count >= 5, "\(statuses)")
                #expect(statuses.prefix(5).allSatisfy { $0 == "404" }, "\(statuses)")
                let limited = try Self.curl(["-D", "-", "-X", "POST", "\(base)/payments/x/card"])
                #expect(limited.contains("429"))
                #expect(limited.lowercased().contains("retry-after: 1"))
                #expect(limited.contains(#"{"message":"Too many requests from this client; retry shortly."}"#))
                // A browser is shown a page, not JSON.
                let page = try Self.curl(["-D", "-", "-X", "POST", "-H", "Accept: text/html,application/xhtml+xml", "\(base)/payments/x/card"])
                #expect(page.lowercased().contains("content-type: text/html"), "\(page)")
                #expect(page.contains("<h1>Please wait a moment</h1>"))
                // Another payment's card form from the same address is not held back.
                #expect(try Self.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "{}",
                                       "-H", "Content-Type: application/json", "\(base)/payments/y/card"]) == "404")

                // Elsewhere the API limit (100/s, burst 200, per key or address) answers a problem
                // document. One curl process, one connection, 400 requests: faster than that.
                let burst = try Self.curl(["-s", "-w", "\n%{http_code}\n"] + Array(repeating: "\(base)/orders/x", count: 400))
                #expect(burst.contains("\n429\n"), "\(burst.suffix(300))")
                #expect(burst.contains(#""title":"Too Many Requests","status":429"#))
                // A merchant's key has a bucket of its own: the same address is answered.
                let keyed = try Self.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer merchant-key-1", "\(base)/orders/x"])
                #expect(keyed == "404", "\(keyed)")

                // Operator endpoints: loopback may read them; with an allow-list that leaves
                // this client out, nginx refuses with a problem document before any worker.
                #expect(shop.eventually(timeout: 5) {
                    (try? Self.curl(["-s", "-w", "\n%{http_code}", "\(base)/healthz"]))?.hasSuffix("\n200") == true
                })
                try "allow 192.0.2.1;\ndeny all;\n".write(toFile: "\(directory)/payments.internal", atomically: true, encoding: .utf8)
                let pid = try String(contentsOfFile: "\(directory)/nginx.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                kill(pid_t(pid) ?? 0, SIGHUP)
                #expect(shop.eventually(timeout: 5) {
                    (try? JSONValue.parse(try Self.curl(["-s", "\(base)/metrics"])))?["status"] == .int(403)
                })
            }
        }

        /// TLS 1.0 and 1.1 are refused; TLS 1.2 offers only ECDHE key exchange with AEAD
        /// ciphers: every other suite this machine's OpenSSL knows fails the handshake.
        @Test func tlsOffersOnlyForwardSecretAEADSuites() throws {
            try Self.withProductionEdge { _, _, base, _ in
                #expect(try Self.run("/usr/bin/curl", ["-ksS", "--tlsv1.0", "--tls-max", "1.1", "-o", "/dev/null", "\(base)/orders"]).status != 0)
                let suites = try Self.run("/usr/bin/openssl", ["ciphers", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]).output
                    .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").map(String.init)
                #expect(suites.count > 30)
                var accepted: [String] = []
                for suite in suites where !suite.hasPrefix("TLS_") {
                    let result = try Self.run("/usr/bin/curl", ["-ksS", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", suite, "-o", "/dev/null", "\(base)/orders/openapi.json"])
                    if result.status == 0 { accepted.append(suite) }
                }
                #expect(!accepted.isEmpty)
                for suite in accepted {
                    #expect(suite.hasPrefix("ECDHE-") && (suite.contains("GCM") || suite.contains("CHACHA20")), "weak suite accepted: \(suite)")
                }
            }
        }

        /// Every answer carries HSTS and nosniff over TLS, nginx's own (405, 429, 413, 404) and
        /// the workers' (JSON, the shopper pages) alike.
        @Test func everyAnswerCarriesTheSecurityHeaders() throws {
            try Self.withProductionEdge { _, shop, base, _ in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                let big = String(repeating: "x", count: 70_000)
                let requests: [(name: String, arguments: [String])] = [
                    ("worker JSON", ["\(base)/orders/\(id)"]),
                    ("return page 422", ["-H", "Accept: text/html", "\(base)/orders/\(id)/redirect?error=cancelled"]),
                    ("card page 404", ["-H", "Accept: text/html", "\(base)/payments/nope/pay"]),
                    ("nginx 404", ["\(base)/elsewhere"]),
                    ("nginx 405 /orders", ["-X", "TRACE", "\(base)/orders"]),
                    ("nginx 405 /payments", ["-X", "TRACE", "\(base)/payments"]),
                    ("nginx 413 /payments", ["-X", "POST", "-H", "Content-Type: application/json", "-d", big, "\(base)/payments"]),
                ]
                for request in requests {
                    let head = try Self.curl(["-s", "-D", "-", "-o", "/dev/null"] + request.arguments).lowercased()
                    #expect(head.contains("strict-transport-security: max-age=63072000"), "\(request.name): \(head)")
                    #expect(head.contains("x-content-type-options: nosniff"), "\(request.name): \(head)")
                }
                let payment = try shop.http.postJSON("/payments", #"{"reference":"R","amount":"100","returnUrl":"https://shop.example/r"}"#)
                let txid = try #require(payment.json["transactionId"]?.stringValue)
                let card = try Self.curl(["-s", "-D", "-", "-o", "/dev/null", "-H", "Accept: text/html", "\(base)/payments/\(txid)/pay"]).lowercased()
                #expect(card.contains("http/2 200") && card.contains("x-content-type-options: nosniff"), "\(card)")
                // 429 from the card limit, with its own Retry-After.
                var last = ""
                for _ in 0..<8 {
                    last = try Self.curl(["-s", "-D", "-", "-o", "/dev/null", "-X", "POST", "\(base)/payments/z/card"]).lowercased()
                }
                #expect(last.contains("http/2 429") && last.contains("strict-transport-security") && last.contains("x-content-type-options: nosniff"), "\(last)")
            }
        }

        /// One client holding 2,200 half-open TLS handshakes (the first bytes of a ClientHello,
        /// never finished) from its own address must not take the service offline: the stream
        /// front closes its connections past 64, and everybody else is answered meanwhile.
        @Test func aHandshakeFloodFromOneAddressDoesNotStarveOthers() throws {
            Self.raiseOpenFileLimit(to: 4_096)
            try Self.withProductionEdge { _, _, base, _ in
                let port = try #require(Int(base.split(separator: ":").last ?? ""))
                // The start of a TLS 1.2 ClientHello record: a header promising 512 bytes.
                let hello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]
                var flood: [Int32] = []
                defer { for fd in flood { close(fd) } }
                for _ in 0..<2_200 {
                    // The attacker's own loopback address, 127.0.0.2; the others come from 127.0.0.1.
                    guard let fd = Self.openConnection(to: port, from: "127.0.0.2") else { break }
                    _ = hello.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    flood.append(fd)
                }
                #expect(flood.count == 2_200)
                for _ in 0..<20 {
                    let status = try Self.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "\(base)/orders/openapi.json"])
                    #expect(status == "200")
                }
                // The front held the flood to its per-address limit: nginx closed the rest.
                let open = flood.filter { fd in
                    var byte: UInt8 = 0
                    let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
                    return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                }
                #expect(open.count <= 64, "\(open.count) flood connections still open")
            }
        }

        /// Sends raw bytes to the local stack and returns the status line and body.
        static func raw(_ request: [UInt8], port: Int) throws -> (status: String, body: String) {
            guard let fd = openConnection(to: port) else { throw Failure("cannot connect to 127.0.0.1:\(port)") }
            defer { close(fd) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                answer += buffer[0..<count]
            }
            let text = String(decoding: answer, as: UTF8.self)
            let status = text.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
            let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
            return (status, body)
        }

        /// Lets this test process hold `count` open descriptors (up to the hard limit).
        static func raiseOpenFileLimit(to count: rlim_t) {
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            if limit.rlim_cur < count {
                limit.rlim_cur = min(limit.rlim_max, count)
                setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            }
        }

        /// A socket listening on 127.0.0.1:`port`, or nil when the port is taken.
        static func listen(on port: Int) -> Int32? {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, Glibc.listen(fd, 16) == 0 else {
                close(fd)
                return nil
            }
            return fd
        }

        /// A TCP connection to 127.0.0.1:`port`, from the loopback address `source` when given;
        /// nil when the system refuses.
        static func openConnection(to port: Int, from source: String? = nil) -> Int32? {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            func address(_ host: String, _ port: Int) -> sockaddr_in {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr(host)
                address.sin_port = UInt16(port).bigEndian
                return address
            }
            func call(_ address: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
                withUnsafePointer(to: address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            }
            if let source, call(address(source, 0), { bind(fd, $0, $1) }) != 0 {
                close(fd)
                return nil
            }
            guard call(address("127.0.0.1", port), { connect(fd, $0, $1) }) == 0 else {
                close(fd)
                return nil
            }
            return fd
        }

        /// nginx's own 400, 414, 431, 501 and 505 come out as problem documents, and as
        /// {"message"} documents under /payments.
        @Test func malformedRequestsGetJSONProblems() throws {
            try StackHarness.withStack { stack, _ in
                let long = String(repeating: "a", count: 9_000)
                // Under /payments the same refusals (and a broken chunked body, which nginx
                // finds inside the location) answer in the pay-broker shape, {"message"}.
                let chunked = "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
                let cases: [(request: String, status: Int, payments: Bool)] = [
                    ("GARBAGE\r\n\r\n", 400, false),
                    ("GET /orders HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, false),
                    ("GET /orders/\(long) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 414, false),
                    ("GET /orders HTTP/1.1\r\nHost: a\r\nX-Big: \(long)\r\nConnection: close\r\n\r\n", 431, false),
                    ("POST /orders HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n", 501, false),
                    ("GET /orders HTTP/2.0\r\nHost: a\r\n\r\n", 505, false),
                    ("TRACE /orders HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 405, false),
                    ("POST /orders HTTP/1.1\r\nHost: a\r\n\(chunked)", 400, false),
                    ("POST /payments HTTP/1.1\r\nHost: a\r\n\(chunked)", 400, true),
                    ("POST /payments/x/card HTTP/1.1\r\nHost: a\r\n\(chunked)", 400, true),
                    ("GET /payments HTTP/1.1\r\nHost: a\r\nX-Big: \(long)\r\nConnection: close\r\n\r\n", 431, true),
                    ("POST /payments HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n", 501, true),
                    ("TRACE /payments HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 405, true),
                    ("POST /payments HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 70000\r\nConnection: close\r\n\r\n", 413, true),
                ]
                for item in cases {
                    let answer = try Self.raw(Array(item.request.utf8), port: stack.configuration.port)
                    #expect(answer.status.hasPrefix("HTTP/1.1 \(item.status)"), "\(item.request.prefix(40)): \(answer.status)")
                    let json = try? JSONValue.parse(answer.body)
                    if item.payments {
                        #expect(json?["message"]?.stringValue != nil && json?["status"] == nil, "\(item.request.prefix(40)): \(answer.body)")
                    } else {
                        #expect(json?["status"] == .int(item.status), "\(item.request.prefix(40)): \(answer.body)")
                    }
                }
            }
        }

        /// 2,100 idle client connections (a few dozen slowloris-style ones among them) must not
        /// take the service offline; ordinary requests keep working meanwhile. Measured here:
        /// nginx 1.22 reclaims connections still waiting for a request when worker_connections
        /// run out, so this also passes with the old 1024; it guards the outcome, not the knob.
        @Test func thousandsOfIdleConnectionsDoNotStarveRequests() throws {
            Self.raiseOpenFileLimit(to: 4_096)
            try StackHarness.withStack { stack, shop in
                var idle: [Int32] = []
                defer { for fd in idle { close(fd) } }
                for index in 0..<2_100 {
                    guard let fd = Self.openConnection(to: stack.configuration.port) else { break }
                    if index % 50 == 0 {
                        // Slowloris: half a request line, never finished.
                        let partial = Array("GET /orders HTTP/1.1\r\nHost: a\r\nX-Slow: ".utf8)
                        _ = partial.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                    }
                    idle.append(fd)
                }
                #expect(idle.count == 2_100)
                for _ in 0..<20 {
                    #expect(try shop.http.get("/orders/openapi.json").status == 200)
                }
                let order = try shop.http.postJSON("/orders", #"{"amount": 100, "currency": "NOK"}"#)
                #expect(order.status == 200)
            }
        }
    }
}
