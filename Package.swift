// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "payments-service",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "payments-worker", targets: ["PaymentsWorker"]),
        .executable(name: "dintero-sandbox", targets: ["DinteroSandbox"]),
    ],
    targets: [
        // Thin C system-library targets: each is imported by exactly one Swift wrapper.
        .systemLibrary(name: "CFastCGI", path: "Sources/CFastCGI"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),

        // Swift wrappers, the only importers of their C library.
        .target(name: "FastCGI", dependencies: ["CFastCGI"]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),

        // Domain, storage, Dintero client, HTTP routing. No C imports.
        .target(name: "PaymentsCore", dependencies: ["SQLite"]),

        // Thin executables.
        .executableTarget(name: "PaymentsWorker", dependencies: ["FastCGI", "PaymentsCore"]),
        .executableTarget(name: "DinteroSandbox", dependencies: ["FastCGI", "PaymentsCore"]),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "PaymentsCoreTests", dependencies: ["PaymentsCore", "SQLite"]),
        .testTarget(name: "IntegrationTests", dependencies: ["PaymentsCore"]),
    ],
    swiftLanguageModes: [.v6]
)
