import Foundation
import Testing

extension IntegrationSuite {
    /// The deploy files under nginx/ are valid for the tools that read them.
    @Suite struct DeployFilesTests {
        static let analyzer = "/usr/bin/systemd-analyze"

        /// The deploy steps (docs/operations.md, the unit's comments) install settings and secrets under
        /// /etc/payments readable by their owner only: nginx's group never reads a key.
        @Test func secretsAreInstalledReadableByTheirOwnerOnly() throws {
            for file in ["docs/operations.md", "nginx/payments-worker.service"] {
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

        /// The nightly backup: the service and its timer verify, the backup runs the worker's
        /// `backup` command into /var/backups/payments, and old backups are deleted only after
        /// a new one was written.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyzer), "systemd-analyze is not installed"))
        func theBackupTimerVerifies() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let service = try String(contentsOfFile: "\(StackHarness.repositoryRoot)/nginx/payments-backup.service", encoding: .utf8)
            #expect(service.contains("payments-worker backup \"/var/backups/payments/orders-"))
            #expect(service.contains("ExecStartPost=/usr/bin/find /var/backups/payments") && !service.contains("ExecStartPre=/usr/bin/find"))
            try service.replacingOccurrences(of: "/opt/payments/bin/payments-worker", with: "\(StackHarness.binDirectory)/payments-worker")
                .write(toFile: "\(directory)/payments-backup.service", atomically: true, encoding: .utf8)
            let timer = try String(contentsOfFile: "\(StackHarness.repositoryRoot)/nginx/payments-backup.timer", encoding: .utf8)
            #expect(timer.contains("OnCalendar=") && timer.contains("Persistent=true"))
            try timer.write(toFile: "\(directory)/payments-backup.timer", atomically: true, encoding: .utf8)
            let result = try EdgeTests.run(Self.analyzer, ["verify", "\(directory)/payments-backup.service", "\(directory)/payments-backup.timer"])
            #expect(result.status == 0, "\(result.output)")
            #expect(!result.output.contains("Unknown key"), "\(result.output)")
        }
    }
}
