import Foundation
import Testing

extension IntegrationSuite {
    /// The deploy files under nginx/ are valid for the tools that read them.
    @Suite struct DeployFilesTests {
        static let analyzer = "/usr/bin/systemd-analyze"

        /// The deploy steps (README, the unit's comments) install settings and secrets under
        /// /etc/payments readable by their owner only: nginx's group never reads a key.
        @Test func secretsAreInstalledReadableByTheirOwnerOnly() throws {
            for file in ["README.md", "nginx/payments-worker.service"] {
                // Commands wrap across lines (and comment markers) in both files.
                let text = try String(contentsOfFile: "\(StackHarness.repositoryRoot)/\(file)", encoding: .utf8)
                    .replacing(/\n[#\s]*/, with: " ")
                let installs = text.matches(of: /install (?:(?!install)[^`])*?\/etc\/payments\/[a-z.-]+/).map { String($0.output) }
                #expect(installs.count >= 2, "\(file): \(installs)")
                for install in installs {
                    #expect(install.contains("-m 600"), "\(file): \(install)")
                    #expect(!install.contains("www-data"), "\(file): \(install)")
                }
            }
        }

        /// `systemd-analyze verify` on nginx/payments-worker.service, with ExecStart pointed at
        /// the binary just built (the unit names /opt/payments/bin, where the deploy steps put it).
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyzer), "systemd-analyze is not installed"))
        func theSystemdUnitVerifies() throws {
            let unit = try String(contentsOfFile: "\(StackHarness.repositoryRoot)/nginx/payments-worker.service", encoding: .utf8)
            #expect(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
            #expect(unit.contains("NoNewPrivileges=yes") && unit.contains("ProtectSystem=strict") && unit.contains("RuntimeDirectory=payments"))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let rendered = unit.replacingOccurrences(of: "/opt/payments/bin/payments-worker", with: "\(StackHarness.binDirectory)/payments-worker")
            try rendered.write(toFile: "\(directory)/payments-worker.service", atomically: true, encoding: .utf8)
            let result = try EdgeTests.run(Self.analyzer, ["verify", "\(directory)/payments-worker.service"])
            #expect(result.status == 0, "\(result.output)")
            #expect(!result.output.contains("Unknown key"), "\(result.output)")
        }
    }
}
