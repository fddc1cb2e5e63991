import Foundation
import HTTPKit
import Synchronization
import Testing
import TestSupport

extension IntegrationSuite {
    /// `payments-worker backup FILE` while the service takes orders: every order acknowledged
    /// before the backup is in it, the copy passes `integrity_check`, and a stack started on
    /// the copy (the restore: ORDERS_DB pointed at it) serves and takes payments.
    @Suite(.enabled(if: TestStore.integration == .sqlite, "the SQLite file; PostgreSQL is backed up with its own tools"))
    struct BackupTests {
        static func backup(database: String, to target: String) throws -> (status: Int32, output: String) {
            try EdgeTests.run("/usr/bin/env", ["ORDERS_DB=\(database)", "\(StackHarness.binDirectory)/payments-worker", "backup", target])
        }

        @Test func aBackupTakenUnderWritesRestoresEveryAcknowledgedOrder() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let target = "\(directory)/orders-backup.sqlite"
            var acknowledged: [String] = []
            try StackHarness.withStack(workers: 2, threads: 4) { stack, shop in
                for _ in 0..<20 { acknowledged.append(try #require(try shop.createOrder()["id"]?.stringValue)) }
                // Creates keep landing while the backup runs.
                let stop = Atomic<Bool>(false), during = Mutex<Int>(0)
                let writer = Thread {
                    while !stop.load(ordering: .relaxed) {
                        if (try? shop.createOrder()) != nil { during.withLock { $0 += 1 } }
                    }
                }
                writer.start()
                _ = shop.eventually { during.withLock { $0 } >= 5 }
                let result = try Self.backup(database: stack.databasePath, to: target)
                stop.store(true, ordering: .relaxed)
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.contains("integrity_check ok"), "\(result.output)")
                #expect(during.withLock { $0 } >= 5)
                // A second backup to the same file is refused, the first left as it was.
                let again = try Self.backup(database: stack.databasePath, to: target)
                #expect(again.status != 0)
                #expect(again.output.contains("exists"), "\(again.output)")
                #expect(!FileManager.default.fileExists(atPath: "\(target).partial-\(getpid())"))
            }
            try StackHarness.withStack(workerEnvironment: ["ORDERS_DB": target]) { stack, shop in
                for id in acknowledged {
                    #expect(try shop.http.get("/orders/\(id)").json["status"]?.stringValue == "PENDING", "\(id)")
                }
                // The restored service works on: a new order is paid.
                let (paid, _) = try LifecycleTests.paidOrder(shop)
                #expect(try shop.status(paid) == "AUTHORIZED")
            }
        }
    }
}
