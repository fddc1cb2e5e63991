import Foundation
import Synchronization
import LocalStack
import HTTPKit
import PaymentsDomain
import ServiceSupport
import TestSupport
import SQLite

/// Starts a real stack (nginx, worker supervisor, Dintero sandbox) on free loopback ports.
enum StackHarness {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var binDirectory: String {
        ProcessInfo.processInfo.environment["BIN_DIR"] ?? "\(repositoryRoot)/.build/debug"
    }

    /// Runs `body` against a freshly started stack and stops every process of it afterwards,
    /// whether `body` returns or throws. The stack's directory (logs, socket, SQLite file) is
    /// removed when `body` returns and kept, its path printed, when it throws, or always with
    /// `KEEP_TEST_STACKS=1`: thousands of runs must not fill /tmp. A test that reads the files
    /// after the stack stopped passes `keepingFiles` and removes them itself.
    static func withStack<T>(
        workers: Int = 2,
        threads: Int = 16,
        hosts: Int = 1,
        workerEnvironment: [String: String] = [:],
        sandboxEnvironment: [String: String] = [:],
        keepingFiles: Bool = false,
        _ body: (LocalStack, Shop) throws -> T
    ) throws -> T {
        let stack = try start(workers: workers, threads: threads, hosts: hosts, workerEnvironment: workerEnvironment, sandboxEnvironment: sandboxEnvironment)
        let result: T
        do {
            result = try body(stack, Shop(stack: stack))
        } catch {
            stack.stop()
            print("stack kept for inspection: \(stack.configuration.runDirectory)")
            throw error
        }
        stack.stop()
        if !keepingFiles && ProcessInfo.processInfo.environment["KEEP_TEST_STACKS"] != "1" {
            try? FileManager.default.removeItem(atPath: stack.configuration.runDirectory)
        }
        return result
    }

    static func start(
        workers: Int = 2,
        threads: Int = 16,
        hosts: Int = 1,
        workerEnvironment: [String: String] = [:],
        sandboxEnvironment: [String: String] = [:]
    ) throws -> LocalStack {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("payments-it-\(UUID().uuidString.prefix(8))").path
        var environment = ["DINTERO_TIMEOUT_SECONDS": "2"]
        // The PostgreSQL pass of `make test`: each stack gets an empty database of its own
        // (unless the test brings its own DATABASE_URL).
        if TestStore.integration == .postgres && workerEnvironment["DATABASE_URL"] == nil {
            environment["DATABASE_URL"] = try TestPostgres.freshDatabase("it")
        }
        environment.merge(workerEnvironment) { _, new in new }
        let stack = LocalStack(configuration: .init(
            runDirectory: run,
            binDirectory: binDirectory,
            nginxDirectory: "\(repositoryRoot)/nginx",
            port: try freePort(),
            sandboxPort: try freePort(),
            workers: workers,
            threads: threads,
            workerEnvironment: environment,
            sandboxEnvironment: ["SANDBOX_CALLBACK_DELAY_SECONDS": "0.1"].merging(sandboxEnvironment) { _, new in new },
            hosts: hosts
        ))
        do {
            try stack.start()
        } catch {
            stack.stop()  // whatever did start is stopped by its pid; the error names its log
            throw error
        }
        return stack
    }

    /// The child processes of `pid` (the supervisor's workers), whichever of its threads
    /// started them.
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? ProcStatus.threads(of: pid)) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0) }
        }
    }

    /// A port nothing listens on right now (see ``freeLoopbackPort()``).
    static func freePort() throws -> Int { try freeLoopbackPort() }
}

/// Shopper and merchant steps against one stack.
struct Shop: Sendable {
    let stack: LocalStack
    let http: LiveClient

    init(stack: LocalStack) {
        self.stack = stack
        http = LiveClient(baseURL: stack.baseURL)
    }

    var base: String { stack.baseURL }
    var sandbox: String { stack.sandboxURL! }

    func createOrder(amount: Int = 29900, currency: String = "NOK") throws -> JSONValue {
        let response = try http.postJSON("\(base)/orders", #"{"amount": \#(amount), "currency": "\#(currency)", "receipt": "receipt#1"}"#)
        guard response.status == 200 else { throw Failure("POST /orders answered \(response.status): \(response.text)") }
        return response.json
    }

    /// Opens the hosted page, chooses pay (with `outcome`) or cancel; returns the redirect URL.
    func checkout(_ order: JSONValue, outcome: String? = "AUTHORIZED") throws -> String {
        guard let link = order["links"]?.arrayValue?.first?["href"]?.stringValue else { throw Failure("order without session_link") }
        let page = try http.get(link, accept: "text/html")
        guard page.status == 200, page.text.contains("/pay\"") else { throw Failure("payment page answered \(page.status)") }
        let response = outcome.map { try? http.postForm("\(link)/pay", [("outcome", $0)]) } ?? (try? http.postForm("\(link)/cancel", []))
        guard let response, response.status == 302, let location = response.header("Location") else {
            throw Failure("pay/cancel did not redirect")
        }
        return location
    }

    func status(_ id: String) throws -> String? {
        try http.get("\(base)/orders/\(id)").json["status"]?.stringValue
    }

    func sandboxStats() throws -> JSONValue {
        try http.get("\(sandbox)/__sandbox/stats").json
    }

    func injectFault(_ json: String) throws {
        let response = try http.postJSON("\(sandbox)/__sandbox/faults", json)
        guard response.status == 200 else { throw Failure("fault injection answered \(response.status)") }
    }

    /// Calls of `endpoint` ("sessions", …) that a "hold" fault keeps waiting in the sandbox.
    func held(_ endpoint: String) throws -> Int {
        Int(try sandboxStats()["held"]?[endpoint]?.integerValue ?? 0)
    }

    /// Answers every call the sandbox holds; returns how many.
    @discardableResult
    func release() throws -> Int {
        Int(try http.postJSON("\(sandbox)/__sandbox/release", "{}").json["released"]?.integerValue ?? -1)
    }

    /// Runs `body` on `count` threads at once (each a client of its own request); returns the
    /// results in index order once all have finished.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = Mutex<[Int: T]>([:])
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                let result = body(index)
                results.withLock { $0[index] = result }
                group.leave()
            }
        }
        group.wait()
        return results.withLock { results in (0..<count).compactMap { results[$0] } }
    }

    /// Polls until `condition` holds or `timeout` passes.
    func eventually(timeout: TimeInterval = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Deadline(secondsFromNow: timeout)
        while !deadline.hasPassed {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension URLComponents {
    func value(_ name: String) -> String? { queryItems?.first { $0.name == name }?.value }
}
