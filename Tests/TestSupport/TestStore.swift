import Foundation
import PaymentsApp
import Testing

/// The stores a storage or integration test runs against: SQLite always, PostgreSQL when the
/// run has the throwaway cluster (`make test` always does, see ``TestPostgres``).
public enum TestStore: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// The stores of this run.
    public static var available: [TestStore] { TestPostgres.isSkipped ? [.sqlite] : [.sqlite, .postgres] }

    public var testDescription: String { rawValue }

    /// A new, empty, migrated database of this kind.
    public func freshStorage() throws -> Storage {
        let storage: Storage
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
            storage = .sqlite(path: directory.appendingPathComponent("orders.sqlite").path)
        case .postgres:
            storage = .postgres(url: try TestPostgres.freshDatabase("store"))
        }
        try storage.migrate()
        return storage
    }
}

extension TestStore {
    /// The store the integration suites run against in this run: `TEST_STORE=postgres` (the
    /// second pass of `make test`) or SQLite.
    public static var integration: TestStore {
        ProcessInfo.processInfo.environment["TEST_STORE"].flatMap(TestStore.init(rawValue:)) ?? .sqlite
    }
}
