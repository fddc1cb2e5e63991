import Foundation
import Postgres
import Synchronization

/// The throwaway PostgreSQL cluster `make test` starts (Tests/Support/with-postgres.sh) for
/// the test process: `TEST_POSTGRES_URL` points at it. Each test gets a database of its own.
public enum TestPostgres {
    /// The cluster's URL (its `postgres` database), when the run has one.
    public static let clusterURL: String? = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// The cluster's directory (for tests that start a cluster of their own beside it).
    public static let clusterDirectory: String? = ProcessInfo.processInfo.environment["TEST_POSTGRES_DIR"]

    /// True only when the run says so (`TESTS_WITHOUT_POSTGRES=1`): the PostgreSQL variants of
    /// the suites are then skipped. Otherwise they run, and without a cluster (a bare `swift
    /// test`, or a cluster that did not start) they fail saying why, never pass by skipping.
    public static let isSkipped = ProcessInfo.processInfo.environment["TESTS_WITHOUT_POSTGRES"] == "1"

    /// Creates an empty database and returns its URL.
    public static func freshDatabase(_ label: String = "t") throws -> String {
        guard let clusterURL else {
            throw PostgresError(.misuse, message: "TEST_POSTGRES_URL is not set: run the tests with make test (or set TESTS_WITHOUT_POSTGRES=1 to skip the PostgreSQL tests)")
        }
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
        let admin = PostgresConnection(url: clusterURL)
        defer { admin.close() }
        try admin.execute("CREATE DATABASE \(name)")
        return url(clusterURL, database: name)
    }

    /// `url` with its database replaced by `database`.
    public static func url(_ url: String, database: String) -> String {
        guard let scheme = url.range(of: "://"), let slash = url.range(of: "/", options: .backwards, range: scheme.upperBound..<url.endIndex) else {
            return url + "/" + database
        }
        let query = url[slash.upperBound...].firstIndex(of: "?").map { String(url[$0...]) } ?? ""
        return String(url[..<slash.upperBound]) + database + query
    }
}

/// A loopback port nothing listens on right now (bound to port 0, then released), and never
/// one this test process was given before: the kernel may hand a just-released port out again,
/// and a stack whose service and sandbox got the same port waited 30 s for a sandbox that nginx
/// could not serve (seen once in CI).
public func freeLoopbackPort() throws -> Int {
    for _ in 0..<100 {
        let port = try ephemeralLoopbackPort()
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw POSIXError(.EADDRNOTAVAIL)
}

private let handedOutPorts = Mutex<Set<Int>>([])

private func ephemeralLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
    return Int(UInt16(bigEndian: address.sin_port))
}
