import Foundation
import HTTPKit
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// SIGHUP replaces the workers (new binary, settings files read again) without dropping a
    /// request; the supervisor survives it.
    @Suite struct ReloadTests {
        @Test func reloadingUnderLoadDropsNothingAndRereadsTheKeyFile() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let keyFile = "\(directory)/api-keys"
            try "key-before-rotation".write(toFile: keyFile, atomically: true, encoding: .utf8)
            try StackHarness.withStack(workers: 2, threads: 4, workerEnvironment: ["PAYMENTS_API_KEY_FILE": keyFile]) { stack, shop in
                let before = shop.http.authorized("key-before-rotation")
                #expect(try before.get("/orders").status == 200)
                let supervisor = try #require(stack.pids["payments-worker"])
                let oldWorkers = Set(StackHarness.children(of: supervisor))
                #expect(oldWorkers.count == 2)

                // Load from 4 clients for the whole reload: reads and creates.
                let stop = Atomic<Bool>(false)
                let results = Mutex<(ok: Int, failed: [String])>((0, []))
                let done = DispatchGroup()
                for client in 0..<4 {
                    done.enter()
                    Thread.detachNewThread {
                        let http = LiveClient(baseURL: stack.baseURL, defaultHeaders: ["Authorization": "Bearer key-before-rotation"])
                        while !stop.load(ordering: .relaxed) {
                            let response = client % 2 == 0
                                ? try? http.get("/orders/openapi.json")
                                : try? http.postJSON("/orders", #"{"amount": 500, "currency": "NOK"}"#)
                            results.withLock {
                                // A 401 after the rotation below is the key file at work, not a drop.
                                if let code = response?.status.code, code == 200 || code == 401 { $0.ok += 1 } else {
                                    $0.failed.append("\(response?.status.code ?? -1): \(response?.text.prefix(120) ?? "no answer")")
                                }
                            }
                        }
                        done.leave()
                    }
                }
                usleep(500_000)
                try "key-after-rotation, key-before-rotation".write(toFile: keyFile, atomically: true, encoding: .utf8)
                kill(supervisor, SIGHUP)
                #expect(shop.eventually(timeout: 15) {
                    let now = Set(StackHarness.children(of: supervisor))
                    return now.count == 2 && now.isDisjoint(with: oldWorkers)
                })
                usleep(500_000)
                stop.store(true, ordering: .relaxed)
                #expect(done.wait(timeout: .now() + 20) == .success)
                let (ok, failed) = results.withLock { $0 }
                #expect(failed.isEmpty, "\(failed.count) failed of \(ok + failed.count): \(failed.prefix(3))")
                #expect(ok > 50)

                #expect(stack.waitForExit("payments-worker", timeout: 0) == nil, "the supervisor survives SIGHUP")
                // The new workers read the rotated key file: both keys work now.
                #expect(try shop.http.authorized("key-after-rotation").get("/orders").status == 200)
                #expect(try before.get("/orders").status == 200)
                let log = try String(contentsOfFile: stack.path("payments-worker.log"), encoding: .utf8)
                #expect(log.contains("reloaded"))
            }
        }

        /// A reload whose settings are broken is refused; the running workers keep serving.
        @Test func aBrokenKeyFileRefusesTheReloadNotTheService() throws {
            let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))").path
            try "only-key".write(toFile: keyFile, atomically: true, encoding: .utf8)
            try StackHarness.withStack(workers: 1, threads: 2, workerEnvironment: ["PAYMENTS_API_KEY_FILE": keyFile]) { stack, shop in
                let supervisor = try #require(stack.pids["payments-worker"])
                let workers = StackHarness.children(of: supervisor)
                try FileManager.default.removeItem(atPath: keyFile)  // unreadable now
                kill(supervisor, SIGHUP)
                #expect(shop.eventually(timeout: 5) {
                    ((try? String(contentsOfFile: stack.path("payments-worker.log"), encoding: .utf8)) ?? "").contains("reload refused")
                })
                #expect(StackHarness.children(of: supervisor) == workers)
                #expect(try shop.http.authorized("only-key").get("/orders").status == 200)
            }
        }
    }
}
