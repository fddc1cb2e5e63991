// swift-tools-version:6.0
import PackageDescription

// Layers, imports flowing one way (README "Architecture" draws the graph):
//   C system libraries -> their one Swift wrapper -> ServiceSupport/HTTPKit -> PaymentsDomain
//   -> adapters (Dintero, CardProvider, PaymentsSQLite, PaymentsPostgres) -> PaymentsAPI -> PaymentsApp -> executables.
// Executables that make outbound calls export the URLSession fix's libcurl entry points, so
// FoundationNetworking's calls reach the fix before libcurl (Sources/CURLSessionFix says why).
let exportsURLSessionFix: [LinkerSetting] = ["curl_multi_setopt", "curl_multi_socket_action", "curl_multi_cleanup"]
    .map { .unsafeFlags(["-Xlinker", "--export-dynamic-symbol=\($0)"]) }

let package = Package(
    name: "payments-service",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "payments-worker", targets: ["PaymentsWorker"]),
        .executable(name: "dintero-sandbox", targets: ["DinteroSandbox"]),
        .executable(name: "payments-stack", targets: ["PaymentsStack"]),
        .executable(name: "dintero-call-bench", targets: ["DinteroCallBench"]),
    ],
    targets: [
        // Thin C system-library targets: each is imported by exactly one Swift wrapper.
        .systemLibrary(name: "CFastCGI", path: "Sources/CFastCGI"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres"),

        // Logging, settings, clocks, process helpers. Foundation only.
        .target(name: "ServiceSupport"),
        // HTTP values, router with route groups, JSON, forms, the outbound transport. No payments;
        // its one C dependency is the URLSession fix below.
        .target(name: "HTTPKit", dependencies: ["ServiceSupport", "CURLSessionFix"]),
        // Stops FoundationNetworking's busy wait on new connections (CURLSessionFix.c says how).
        // Imported only by HTTPKit's URLSessionTransport.
        .target(name: "CURLSessionFix"),

        // Swift wrappers, the only importers of their C library.
        .target(name: "FastCGI", dependencies: ["CFastCGI", "HTTPKit", "ServiceSupport"]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "Postgres", dependencies: ["CPostgres"]),

        // Orders and payments: models, status machines, flows, storage and gateway protocols.
        // No HTTP, no SQL, no C.
        .target(name: "PaymentsDomain", dependencies: ["ServiceSupport"]),

        // Adapters behind the domain's protocols.
        .target(name: "Dintero", dependencies: ["PaymentsDomain", "HTTPKit", "ServiceSupport"]),
        .target(name: "CardProvider", dependencies: ["PaymentsDomain", "HTTPKit"]),
        .target(name: "PaymentsSQLite", dependencies: ["PaymentsDomain", "SQLite", "ServiceSupport"]),
        .target(name: "PaymentsPostgres", dependencies: ["PaymentsDomain", "Postgres", "ServiceSupport"]),

        // Controllers: decode, call a domain service, encode. One route group per API.
        .target(
            name: "PaymentsAPI",
            dependencies: ["PaymentsDomain", "HTTPKit", "ServiceSupport"],
            // The OpenAPI document is compiled into the binary: one source, nothing to deploy beside it.
            resources: [.embedInCode("OpenAPI/openapi.json")]
        ),

        // Composition root: configuration, supervisor and worker modes, sweepers.
        .target(name: "PaymentsApp", dependencies: [
            "PaymentsAPI", "Dintero", "CardProvider", "PaymentsSQLite", "PaymentsPostgres", "FastCGI", "HTTPKit", "ServiceSupport",
            "SQLite", "PaymentsDomain",
        ]),

        // Starts nginx, workers and sandbox on loopback (make run, integration tests).
        .target(name: "LocalStack", dependencies: ["HTTPKit", "ServiceSupport"]),

        // Thin executables.
        // jemalloc replaces glibc's malloc in the worker (README "Dependencies" says why).
        .executableTarget(
            name: "PaymentsWorker",
            dependencies: ["PaymentsApp", "FastCGI", "ServiceSupport"],
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))] + exportsURLSessionFix
        ),
        .executableTarget(
            name: "DinteroSandbox", dependencies: ["FastCGI", "HTTPKit", "ServiceSupport", "Dintero", "PaymentsDomain"],
            linkerSettings: exportsURLSessionFix
        ),
        // make bench: the Dintero session call alone, linked like the worker.
        .executableTarget(
            name: "DinteroCallBench",
            dependencies: ["Dintero", "HTTPKit", "PaymentsDomain", "ServiceSupport"],
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))] + exportsURLSessionFix
        ),
        .executableTarget(
            name: "PaymentsStack", dependencies: ["LocalStack", "FastCGI", "Dintero", "ServiceSupport"],
            linkerSettings: exportsURLSessionFix
        ),

        // Test doubles shared by the test targets; never linked into a product.
        .target(name: "TestSupport", dependencies: [
            "PaymentsApp", "PaymentsAPI", "PaymentsDomain", "PaymentsSQLite", "Dintero", "HTTPKit", "ServiceSupport",
            "SQLite", "LocalStack", "Postgres", "PaymentsPostgres",
        ], path: "Tests/TestSupport"),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "PaymentsTests", dependencies: [
            "PaymentsApp", "PaymentsAPI", "PaymentsDomain", "PaymentsSQLite", "Dintero", "CardProvider", "HTTPKit",
            "ServiceSupport", "SQLite", "TestSupport", "FastCGI",
        ], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "IntegrationTests", dependencies: [
            "LocalStack", "HTTPKit", "ServiceSupport", "SQLite", "Postgres", "PaymentsDomain", "Dintero", "TestSupport",
        ], linkerSettings: exportsURLSessionFix),
    ],
    swiftLanguageModes: [.v6]
)
