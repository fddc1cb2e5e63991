import Foundation
import HTTPKit
import Testing
import TestSupport

extension IntegrationSuite {
    /// `make run` (the `payments-stack` binary) fails loudly and keeps its logs: a busy port is
    /// refused before anything starts, a part of the stack that dies ends it with a non-zero
    /// status and the reason, and each run appends to the logs of the one before.
    @Suite struct RunCommandTests {
        /// `payments-stack` from the build under test, run from the repository root.
        static func stackProcess(port: Int, sandboxPort: Int, runDirectory: String) -> (Process, Pipe, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "\(StackHarness.binDirectory)/payments-stack")
            process.currentDirectoryURL = URL(fileURLWithPath: StackHarness.repositoryRoot)
            var environment = ProcessInfo.processInfo.environment
            environment["PORT"] = String(port)
            environment["SANDBOX_PORT"] = String(sandboxPort)
            environment["RUN_DIR"] = runDirectory
            environment["BIN_DIR"] = StackHarness.binDirectory
            process.environment = environment
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            return (process, output, errors)
        }

        /// What the stack prints until its banner is complete (or it ends).
        static func banner(_ output: Pipe) -> String {
            var printed = ""
            while !printed.contains("Ctrl-C stops everything") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                printed += String(decoding: chunk, as: UTF8.self)
            }
            return printed
        }

        static func temporaryDirectory() throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }

        /// `make reload` reports the outcome: 0 and "reloaded", or non-zero with the reason when
        /// a broken setting refuses the reload (the old workers keep serving); /status and
        /// /readyz show the refusal too.
        @Test func makeReloadReportsARefusal() throws {
            let run = try Self.temporaryDirectory()
            let keyFile = "\(run)/api-keys"
            try "reload-key-0123456789\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
            let port = try StackHarness.freePort()
            let (process, output, _) = Self.stackProcess(port: port, sandboxPort: try StackHarness.freePort(), runDirectory: run)
            process.environment?["PAYMENTS_API_KEY_FILE"] = keyFile
            try process.run()
            defer {
                kill(process.processIdentifier, SIGTERM)
                if !process.waitForExit(timeout: 40) { kill(process.processIdentifier, SIGKILL) }
            }
            #expect(Self.banner(output).contains("Payments service"))
            func reload() throws -> (status: Int32, output: String) {
                try EdgeTests.run("/usr/bin/env", ["RUN_DIR=\(run)", "PORT=\(port)", "make", "-s", "-C", StackHarness.repositoryRoot, "reload"])
            }
            let ok = try reload()
            #expect(ok.status == 0, "\(ok.output)")
            #expect(ok.output.contains("reloaded"))

            try FileManager.default.removeItem(atPath: keyFile)  // the settings are now broken
            let refused = try reload()
            #expect(refused.status != 0)
            #expect(refused.output.contains("reload refused") && refused.output.contains("PAYMENTS_API_KEY_FILE"), "\(refused.output)")
            let client = LiveClient(baseURL: "http://127.0.0.1:\(port)")
            let status = try client.get("/status").json
            #expect(status["supervisor"]?["last_reload"]?["outcome"]?.stringValue == "refused")
            let ready = try client.get("/readyz")
            #expect(ready.status == 200)  // the old workers still serve
            #expect(ready.json["status"]?.stringValue == "degraded")
            #expect(ready.json["checks"]?["reload"]?["status"]?.stringValue == "failing")
        }

        /// The banner's "Try:" example works as printed when API keys are configured: it carries
        /// the key (by its variable, never its value) and creates an order.
        @Test func theBannersExampleWorksAsPrintedWithAKey() throws {
            let run = try Self.temporaryDirectory()
            let key = "banner-key-0123456789"
            let (process, output, _) = Self.stackProcess(port: try StackHarness.freePort(), sandboxPort: try StackHarness.freePort(), runDirectory: run)
            process.environment?["PAYMENTS_API_KEY"] = "\(key),second-key-0123456789"
            try process.run()
            defer {
                kill(process.processIdentifier, SIGTERM)
                if !process.waitForExit(timeout: 40) { kill(process.processIdentifier, SIGKILL) }
            }
            let printed = Self.banner(output)
            #expect(!printed.contains(key))
            let example = try #require(printed.firstRange(of: "Try:").flatMap { start in
                printed.firstRange(of: "Then open").map { String(printed[start.upperBound..<$0.lowerBound]) }
            })
            let result = try EdgeTests.run("/usr/bin/env", ["PAYMENTS_API_KEY=\(key),second-key-0123456789", "bash", "-c", example])
            #expect(result.status == 0, "\(example)")
            #expect(try JSONValue.parse(Array(result.output.utf8))["status"]?.stringValue == "PENDING", "\(example): \(result.output)")
        }

        @Test func aBusyPortIsRefusedBeforeAnythingStarts() throws {
            let port = try StackHarness.freePort()
            // Something else listens there.
            let holder = try #require(EdgeTests.listen(on: port))
            defer { close(holder) }
            let run = try Self.temporaryDirectory()
            let (process, output, errors) = Self.stackProcess(port: port, sandboxPort: try StackHarness.freePort(), runDirectory: run)
            try process.run()
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1)
            #expect(said.contains("127.0.0.1:\(port) is in use"), "\(said)")
            #expect(!said.contains("\\u{a}"), "\(said)")
            #expect(!printed.contains("Payments service"), "no banner for a stack that did not start")
            #expect(!FileManager.default.fileExists(atPath: "\(run)/payments-worker.log"), "nothing was started")
        }

        @Test func aDeadPartEndsTheRunWithItsReasonAndTheLogsAreKept() throws {
            let run = try Self.temporaryDirectory()
            try "an earlier run's line\n".write(toFile: "\(run)/payments-worker.log", atomically: true, encoding: .utf8)
            let (process, output, errors) = Self.stackProcess(port: try StackHarness.freePort(), sandboxPort: try StackHarness.freePort(), runDirectory: run)
            try process.run()
            defer {
                if process.isRunning {
                    kill(process.processIdentifier, SIGTERM)
                    if !process.waitForExit(timeout: 40) { kill(process.processIdentifier, SIGKILL) }
                }
            }
            // The banner comes once the stack answers.
            let printed = Self.banner(output)
            #expect(printed.contains("Payments service"))
            let nginx = try String(contentsOfFile: "\(run)/nginx/nginx.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            kill(try #require(Int32(nginx)), SIGTERM)  // its workers end with it
            #expect(process.waitForExit(timeout: 60))
            #expect(process.terminationStatus == 1)
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(said.contains("nginx exited unexpectedly"), "\(said)")
            let log = try String(contentsOfFile: "\(run)/payments-worker.log", encoding: .utf8)
            #expect(log.hasPrefix("an earlier run's line\n"))
            #expect(log.contains("msg=stopped") || log.contains("listening on"))
        }
    }
}
