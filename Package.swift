// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "payments-service",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "payments-worker", targets: ["PaymentsWorker"]),
        .executable(name: "dintero-sandbox", targets: ["DinteroSandbox"]),
        .executable(name: "payments-stack", targets: ["PaymentsStack"]),
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

        // Serves a core router over FastCGI: request mapping, threads, signal-driven drain.
        .target(name: "FastCGIHost", dependencies: ["FastCGI", "PaymentsCore"]),

        // Starts nginx, workers and sandbox on loopback (make run, integration tests).
        .target(name: "LocalStack", dependencies: ["PaymentsCore"]),

        // Thin executables.
        .executableTarget(name: "PaymentsWorker", dependencies: ["FastCGI", "FastCGIHost", "PaymentsCore", "SQLite"]),
        .executableTarget(name: "DinteroSandbox", dependencies: ["FastCGI", "FastCGIHost", "PaymentsCore"]),

        .executableTarget(name: "PaymentsStack", dependencies: ["FastCGI", "LocalStack", "PaymentsCore"]),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "PaymentsCoreTests", dependencies: ["PaymentsCore", "SQLite"]),
        .testTarget(name: "IntegrationTests", dependencies: ["LocalStack", "PaymentsCore", "SQLite"]),
    ],
    swiftLanguageModes: [.v6]
)
