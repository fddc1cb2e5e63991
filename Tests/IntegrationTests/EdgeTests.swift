import Foundation
import HTTPKit
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

        /// nginx/payments.conf with a self-signed certificate, loopback ports and the test
        /// stack's socket; the rest of the file exactly as shipped.
        static func renderProductionConfig(into directory: String, socket: String, httpsPort: Int, httpPort: Int) throws -> String {
            let nginx = "\(StackHarness.repositoryRoot)/nginx"
            try FileManager.default.createDirectory(atPath: "\(directory)/tmp", withIntermediateDirectories: true)
            let certificate = try run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=payments.example.com",
                "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem",
            ])
            #expect(certificate.status == 0, "\(certificate.output)")
            for file in ["payments.locations", "payments.fastcgi", "payments.errors", "payments.internal"] {
                try FileManager.default.copyItem(atPath: "\(nginx)/\(file)", toPath: "\(directory)/\(file)")
            }
            var site = try String(contentsOfFile: "\(nginx)/payments.conf", encoding: .utf8)
            let replacements = [
                ("/etc/ssl/certs/payments.example.com.pem", "\(directory)/cert.pem"),
                ("/etc/ssl/private/payments.example.com.key", "\(directory)/key.pem"),
                ("unix:/run/payments/worker.sock", "unix:\(socket)"),
                ("listen 443 ssl http2;", "listen 127.0.0.1:\(httpsPort) ssl http2;"),
                ("listen [::]:443 ssl http2;", ""),
                ("listen 80;", "listen 127.0.0.1:\(httpPort);"),
                ("listen [::]:80;", ""),
            ]
            for (from, to) in replacements {
                #expect(site.contains(from), "payments.conf no longer contains \(from)")
                site = site.replacingOccurrences(of: from, with: to)
            }
            try site.write(toFile: "\(directory)/payments.conf", atomically: true, encoding: .utf8)
            // What Debian's /etc/nginx/nginx.conf provides around sites-enabled.
            try """
                worker_processes 1;
                daemon off;
                pid \(directory)/nginx.pid;
                error_log \(directory)/error.log warn;
                events { worker_connections 1024; }
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

        @Test func theProductionServerBlockLoadsAndHoldsTheLine() throws {
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

                let head = try Self.run("/usr/bin/curl", ["-ksS", "-D", "-", "-o", "/dev/null", "\(base)/orders/openapi.json"]).output
                #expect(head.contains("HTTP/2 200"))
                #expect(head.lowercased().contains("strict-transport-security: max-age=63072000"))
                #expect(head.lowercased().contains("server: nginx\r\n"))
                let plain = try Self.run("/usr/bin/curl", ["-sS", "-D", "-", "-o", "/dev/null", "http://127.0.0.1:\(httpPort)/orders"]).output
                #expect(plain.contains("301"))
                // TLS 1.0 and 1.1 are refused.
                #expect(try Self.run("/usr/bin/curl", ["-ksS", "--tlsv1.0", "--tls-max", "1.1", "-o", "/dev/null", "\(base)/orders"]).status != 0)
                #expect(try Self.run("/usr/bin/curl", ["-ksS", "--tlsv1.2", "--tls-max", "1.2", "-o", "/dev/null", "\(base)/orders"]).status == 0)

                // Card submissions are limited per client: 1/s with a burst of 5.
                var statuses: [String] = []
                for _ in 0..<12 {
                    statuses.append(try Self.run("/usr/bin/curl", ["-ks", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                                   "-H", "Content-Type: application/json", "-d", "{}", "\(base)/payments/x/card"]).output)
                }
                #expect(statuses.filter { $0 == "429" }.count >= 5, "\(statuses)")
                #expect(statuses.prefix(5).allSatisfy { $0 == "404" }, "\(statuses)")
                let limited = try Self.run("/usr/bin/curl", ["-ksS", "-D", "-", "-X", "POST", "\(base)/payments/x/card"]).output
                #expect(limited.contains("429"))
                #expect(limited.lowercased().contains("retry-after: 1"))
                #expect(limited.contains(#"{"message":"Too many requests from this client; retry shortly."}"#))
                // Elsewhere the API limit (20/s, burst 40) answers a problem document.
                // One curl process, one connection, 80 requests: faster than 20/s.
                let burst = try Self.run("/usr/bin/curl", ["-ks", "-w", "\n%{http_code}\n"] + Array(repeating: "\(base)/orders/x", count: 80)).output
                #expect(burst.contains("\n429\n"), "\(burst.suffix(300))")
                #expect(burst.contains(#""title":"Too Many Requests","status":429"#))

                // Operator endpoints: loopback may read them; with an allow-list that leaves
                // this client out, nginx refuses with a problem document before any worker.
                // (After the burst above the API limit holds for a moment here too.)
                #expect(shop.eventually(timeout: 5) {
                    (try? Self.run("/usr/bin/curl", ["-ks", "-w", "\n%{http_code}", "\(base)/healthz"]))?.output.hasSuffix("\n200") == true
                })
                try "allow 192.0.2.1;\ndeny all;\n".write(toFile: "\(directory)/payments.internal", atomically: true, encoding: .utf8)
                kill(nginx.processIdentifier, SIGHUP)
                // (One request per check: the API rate limit may answer 429 in between.)
                #expect(shop.eventually(timeout: 5) {
                    let refused = (try? Self.run("/usr/bin/curl", ["-ks", "\(base)/metrics"]))?.output ?? ""
                    return (try? JSONValue.parse(refused))?["status"] == .int(403)
                })
            }
        }

        /// Sends raw bytes to the local stack and returns the status line and body.
        static func raw(_ request: [UInt8], port: Int) throws -> (status: String, body: String) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw Failure("cannot connect to 127.0.0.1:\(port)") }
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

        /// nginx's own 400, 414, 431, 501 and 505 come out as problem documents.
        @Test func malformedRequestsGetJSONProblems() throws {
            try StackHarness.withStack { stack, _ in
                let long = String(repeating: "a", count: 9_000)
                let cases: [(request: String, status: Int)] = [
                    ("GARBAGE\r\n\r\n", 400),
                    ("GET /orders HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                    ("GET /orders/\(long) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 414),
                    ("GET /orders HTTP/1.1\r\nHost: a\r\nX-Big: \(long)\r\nConnection: close\r\n\r\n", 431),
                    ("POST /orders HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n", 501),
                    ("GET /orders HTTP/2.0\r\nHost: a\r\n\r\n", 505),
                    ("TRACE /orders HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 405),
                ]
                for item in cases {
                    let answer = try Self.raw(Array(item.request.utf8), port: stack.configuration.port)
                    #expect(answer.status.hasPrefix("HTTP/1.1 \(item.status)"), "\(item.request.prefix(40)): \(answer.status)")
                    let json = try? JSONValue.parse(answer.body)
                    #expect(json?["status"] == .int(item.status), "\(item.request.prefix(40)): \(answer.body)")
                }
            }
        }

        /// 2,100 idle client connections (a few dozen slowloris-style ones among them) must not
        /// take the service offline; ordinary requests keep working meanwhile. Measured here:
        /// nginx 1.22 reclaims connections still waiting for a request when worker_connections
        /// run out, so this also passes with the old 1024; it guards the outcome, not the knob.
        @Test func thousandsOfIdleConnectionsDoNotStarveRequests() throws {
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            if limit.rlim_cur < 4_096 {
                limit.rlim_cur = min(limit.rlim_max, 4_096)
                setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            }
            try StackHarness.withStack { stack, shop in
                var idle: [Int32] = []
                defer { for fd in idle { close(fd) } }
                for index in 0..<2_100 {
                    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                    guard fd >= 0 else { break }
                    var address = sockaddr_in()
                    address.sin_family = sa_family_t(AF_INET)
                    address.sin_addr.s_addr = inet_addr("127.0.0.1")
                    address.sin_port = UInt16(stack.configuration.port).bigEndian
                    let connected = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                    }
                    guard connected == 0 else { close(fd); break }
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
