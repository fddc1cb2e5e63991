// swift-tools-version:6.0
import PackageDescription

// Layers, imports flowing one way (README "Architecture" draws the graph):
//   C system libraries -> their one Swift wrapper -> ServiceSupport/HTTPKit -> PaymentsDomain
//   -> adapters (Dintero, CardProvider, PaymentsSQL + PaymentsSQLite/PaymentsPostgres) -> PaymentsAPI -> PaymentsApp -> executables.
// Executables that make outbound calls export the URLSession fix's libcurl entry points, so
// FoundationNetworking's calls reach the fix before libcurl (Sources/CURLSessionFix says why).
let exportsURLSessionFix: [LinkerSetting] = ["curl_multi_setopt", "curl_multi_socket_action", "curl_multi_cleanup", "curl_multi_add_handle", "curl_multi_remove_handle", "curl_easy_cleanup"]
    .map { .unsafeFlags(["-Xlinker", "--export-dynamic-symbol=\($0)"]) }

let package = Package(
    name: "payments-service",
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
        // Header-only: the Linux process calls glibc hides without _GNU_SOURCE, and mallopt.
        .systemLibrary(name: "CProcess", path: "Sources/CProcess"),

        // Logging, settings, clocks, process helpers. Foundation only.
        .target(name: "ServiceSupport"),
        // HTTP values, router with route groups, JSON, forms, the outbound transport protocol
        // and its circuit breaker. No payments, no C.
        .target(name: "HTTPKit", dependencies: ["ServiceSupport"]),
        // The outbound HTTP client: URLSession behind HTTPKit's transport protocol, with the
        // fix below. Linked by the executables' composition roots, never by controllers.
        .target(name: "HTTPClient", dependencies: ["HTTPKit", "CURLSessionFix", "ServiceSupport"]),
        // Stops FoundationNetworking's busy wait on new connections (CURLSessionFix.c says how).
        // Imported only by HTTPClient's URLSessionTransport.
        .target(name: "CURLSessionFix"),

        // What both databases' wrappers share: values, rows, the interpolated query, the
        // closure-scoped connection protocol. No C.
        .target(name: "SQL"),

        // Swift wrappers, the only importers of their C library.
        // Worker processes: the pre-forking supervisor, signals, CPU pinning and scheduling,
        // file descriptors and the listen queue (sock_diag). Not FastCGI-specific.
        .target(name: "ProcessSupervision", dependencies: ["CProcess", "ServiceSupport"]),
        .target(name: "FastCGI", dependencies: ["CFastCGI", "HTTPKit", "ProcessSupervision", "ServiceSupport"]),
        .target(name: "SQLite", dependencies: ["CSQLite", "SQL"]),
        .target(name: "Postgres", dependencies: ["CPostgres", "SQL"]),

        // Orders and payments: models, status machines, flows, storage and gateway protocols.
        // No HTTP, no SQL, no C.
        .target(name: "PaymentsDomain", dependencies: ["ServiceSupport"]),

        // Adapters behind the domain's protocols.
        .target(name: "Dintero", dependencies: ["PaymentsDomain", "HTTPKit", "ServiceSupport"]),
        .target(name: "CardProvider", dependencies: ["PaymentsDomain", "HTTPKit"]),
        // The order, payment and idempotency stores, written once over the SQL protocols.
        .target(name: "PaymentsSQL", dependencies: ["PaymentsDomain", "SQL"]),
        // Each database's schema and what only it has (SQLite's backup, PostgreSQL's job lock).
        .target(name: "PaymentsSQLite", dependencies: ["PaymentsSQL", "SQL", "SQLite", "ServiceSupport"]),
        .target(name: "PaymentsPostgres", dependencies: ["PaymentsDomain", "PaymentsSQL", "Postgres", "ServiceSupport", "SQL"]),

        // Controllers: decode, call a domain service, encode. One route group per API.
        .target(
            name: "PaymentsAPI",
            dependencies: ["PaymentsDomain", "HTTPKit", "ServiceSupport"],
            // The OpenAPI document is compiled into the binary: one source, nothing to deploy beside it.
            resources: [.embedInCode("OpenAPI/openapi.json")]
        ),

        // Composition root: configuration, supervisor and worker modes, sweepers.
        .target(name: "PaymentsApp", dependencies: [
            "PaymentsAPI", "Dintero", "CardProvider", "PaymentsSQL", "PaymentsSQLite", "PaymentsPostgres", "FastCGI", "HTTPKit",
            "HTTPClient", "ProcessSupervision", "ServiceSupport", "SQL", "SQLite", "PaymentsDomain",
        ]),

        // Starts nginx, workers and sandbox on loopback (make run, integration tests).
        .target(name: "LocalStack", dependencies: ["HTTPKit", "HTTPClient", "ServiceSupport"]),

        // Thin executables.
        // jemalloc replaces glibc's malloc in the worker (README "Dependencies" says why).
        .executableTarget(
            name: "PaymentsWorker",
            dependencies: ["PaymentsApp", "FastCGI", "ProcessSupervision"],
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))] + exportsURLSessionFix
        ),
        .executableTarget(
            name: "DinteroSandbox", dependencies: ["FastCGI", "HTTPKit", "HTTPClient", "ProcessSupervision", "ServiceSupport", "Dintero", "PaymentsDomain"],
            linkerSettings: exportsURLSessionFix
        ),
        // make bench: the Dintero session call alone, linked like the worker.
        .executableTarget(
            name: "DinteroCallBench",
            dependencies: ["Dintero", "HTTPKit", "HTTPClient", "PaymentsDomain", "ServiceSupport"],
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))] + exportsURLSessionFix
        ),
        .executableTarget(
            name: "PaymentsStack", dependencies: ["LocalStack", "FastCGI", "Dintero", "ProcessSupervision", "ServiceSupport"],
            linkerSettings: exportsURLSessionFix
        ),

        // Test doubles shared by the test targets; never linked into a product. Each source target
        // has its test target of the same name + Tests; IntegrationTests drives the real stack.
        .target(name: "TestSupport", dependencies: [
            "PaymentsApp", "PaymentsDomain", "PaymentsSQL", "PaymentsSQLite", "Dintero", "HTTPKit", "HTTPClient",
            "ServiceSupport", "SQL", "SQLite", "Postgres",
        ], path: "Tests/TestSupport"),

        .testTarget(name: "SQLTests", dependencies: ["SQL"]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "SQL"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "SQL", "TestSupport"]),
        .testTarget(name: "ServiceSupportTests", dependencies: ["ServiceSupport"]),
        .testTarget(name: "HTTPKitTests", dependencies: ["HTTPKit", "TestSupport"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPKit"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI", "HTTPKit", "TestSupport"]),
        .testTarget(name: "ProcessSupervisionTests", dependencies: ["FastCGI", "ProcessSupervision", "TestSupport"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "DinteroTests", dependencies: ["Dintero", "HTTPKit", "PaymentsDomain", "ServiceSupport", "TestSupport"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "PaymentsDomainTests", dependencies: ["Dintero", "PaymentsAPI", "PaymentsDomain", "PaymentsSQL", "SQLite", "ServiceSupport", "TestSupport"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "PaymentsSQLTests", dependencies: ["PaymentsApp", "PaymentsDomain", "PaymentsSQL", "PaymentsSQLite", "SQL", "SQLite", "TestSupport"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "PaymentsAPITests", dependencies: ["Dintero", "HTTPKit", "PaymentsAPI", "PaymentsApp", "PaymentsDomain", "PaymentsSQL", "PaymentsSQLite", "SQL", "SQLite", "ServiceSupport", "TestSupport"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "PaymentsAppTests", dependencies: ["HTTPKit", "PaymentsApp", "PaymentsPostgres", "Postgres", "SQLite", "ServiceSupport", "TestSupport"], linkerSettings: exportsURLSessionFix),
        .testTarget(name: "IntegrationTests", dependencies: [
            "LocalStack", "HTTPKit", "ServiceSupport", "SQL", "SQLite", "Postgres", "PaymentsDomain", "Dintero", "TestSupport",
        ], linkerSettings: exportsURLSessionFix),
    ],
    swiftLanguageModes: [.v6]
)
