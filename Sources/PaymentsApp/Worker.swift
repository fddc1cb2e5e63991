import CardProvider
import Dintero
import FastCGI
import Foundation
import HTTPClient
import HTTPKit
import PaymentsDomain
import ProcessSupervision
import ServiceSupport

/// Worker mode: serves the FastCGI socket on fd 0 with several accept threads.
enum Worker {
    static func run(options: WorkerOptions, configuration: ServiceConfiguration, log: Logger) throws {
        guard FileDescriptor.standardInput.isListeningSocket else {
            throw ConfigurationError("fd 0 is not a listening socket; start with --socket PATH (supervisor mode) or under spawn-fcgi\n\(WorkerOptions.usage)")
        }
        ServerProcess.keepLargeBuffersOnTheHeap()
        Jemalloc.returnFreedPagesSooner()
        applyScheduling(options: options, log: log)
        if !options.isChild {
            // Run alone (spawn-fcgi, multiwatch): migrations are race-free across processes.
            try configuration.storage.migrate()
            log.log(.info, "starting", configuration.summary)
            configuration.logSecurityWarnings(log)
        } else {
            try configuration.storage.checkSchema()
        }
        // One URLSession per process, with a connection per request that may be in flight;
        // each outbound target behind its own circuit breaker (and a bulkhead at the same
        // limit, for calls made outside the pool).
        let concurrency = configuration.outboundConcurrency
        let session = URLSessionTransport(maxConnectionsPerHost: concurrency)
        if URLSessionTransport.SocketFix.isEnabled && !URLSessionTransport.SocketFix.isActive {
            log.warning("the URLSession socket fix is not active in this binary: the first Dintero call on each new connection busy-waits for its answer (docs/dintero.md)")
        }
        func guarded(_ target: String) -> GuardedTransport {
            GuardedTransport(
                session, target: target, maxConcurrent: concurrency,
                failureThreshold: configuration.circuitFailures, openSeconds: configuration.circuitOpenSeconds
            )
        }
        let dinteroGuard = guarded("dintero"), providerGuard = guarded("provider")
        let monitor = WorkerMonitor(
            guards: [dinteroGuard, providerGuard],
            board: try options.statusDirectory.map { try StatusBoard(directory: $0) }
        )
        let gateway = DinteroClient(configuration: configuration.dintero, transport: dinteroGuard, log: log)
        let provider = ProviderClient(
            baseURL: configuration.payments.providerURL,
            apiKey: configuration.payments.providerAPIKey,
            timeout: configuration.payments.providerTimeout,
            currency: configuration.payments.currency,
            transport: providerGuard
        )
        // Requests that wait on Dintero or the card provider run on threads of their own,
        // sharing a few database connections (OutboundParking says which).
        let storePool = StorePool(size: configuration.outboundDatabaseConnections) {
            try configuration.storage.openStores(checkpointsElsewhere: options.isChild, walPauseBytes: configuration.walPauseBytes)
        }
        // One router for all of them (a router per thread cost ~16 KB each, hundreds of threads).
        let pooled = SharedRouter(router: Application.router(
            configuration: configuration,
            orders: PooledOrderStore(pool: storePool),
            gateway: gateway,
            payments: PooledPaymentStore(pool: storePool),
            idempotency: PooledIdempotencyStore(pool: storePool),
            provider: provider,
            log: log
        ))
        let outbound = BlockingWorkPool<Router>(
            limit: concurrency, queueLimit: configuration.outboundQueue, queueSeconds: configuration.outboundQueueSeconds,
            // A thread unused for 3 s is surplus (the pool reuses the most recently idle one
            // first); starting one again costs tens of microseconds, keeping it ~12 KB.
            idleSeconds: 3,
            prepareThread: {
                // Pool threads mostly wait: no allocation cache each, and under a full CPU the
                // accept threads (reads, lists, health) go first: eight nice levels (measured
                // with 1,024 creates in flight: a reader's p99 28-45 ms at 5 levels, 19-20 at 8,
                // 9-12 at 10 but with creates past wrk's 2 s; docs/benchmarks.md).
                Jemalloc.disableThreadCache()
                ProcessScheduling.lowerCurrentThreadPriority(by: 8)
            }
        ) { pooled.router }
        Capacity.check(configuration: configuration, threads: options.threads, log: log)
        let server = FastCGIServer(configuration: .init(
            threads: options.threads, maxBodyBytes: configuration.maxBodyBytes, accessLog: log,
            observer: { monitor.observe($0) }
        ))
        monitor.attach(server)
        monitor.attach(outbound)
        monitor.startPublishing(every: 1, log: log)
        // Idempotency keys a database outage left with this process go back once it answers,
        // whichever process the clients' retries reach.
        DedicatedThread {
            let keys = IdempotencyService(store: PooledIdempotencyStore(pool: storePool), clock: SystemClock())
            while true {
                sleep(1)
                if keys.hasUnreleased { keys.releaseUnreleased() }
            }
        }.start()
        defer { monitor.publishFinalReport() }
        try server.serveUntilTerminated(onSignal: { log.info("signal \($0): finishing in-flight requests") }) {
            // One database connection per accept thread, opened on that thread. Under a supervisor
            // its checkpointer does every SQLite WAL checkpoint: commits from many processes each
            // attempting one would contend for the checkpoint lock and starve the WAL reset.
            let stores = try configuration.storage.openStores(checkpointsElsewhere: options.isChild, walPauseBytes: configuration.walPauseBytes)
            var router = Application.router(
                configuration: configuration,
                orders: stores.orders,
                gateway: gateway,
                payments: stores.payments,
                idempotency: stores.idempotency,
                provider: provider,
                log: log
            )
            OperationsController(
                monitor: monitor,
                health: stores.health,
                storage: configuration.storage,
                listenQueue: { FileDescriptor.standardInput.listenQueue },
                clock: SystemClock()
            ).register(on: &router)
            return OutboundParking(router: router, pool: outbound)
        }
    }

    /// First thing, so that every thread the worker starts inherits it. Only an optimization:
    /// where the kernel or a sandbox refuses it, the worker serves as scheduled by default.
    private static func applyScheduling(options: WorkerOptions, log: Logger) {
        var applied: [String] = []
        do {
            if options.batchScheduling {
                try ProcessScheduling.useBatchPolicy()
                applied.append("SCHED_BATCH")
            }
            if let cpu = ProcessScheduling.assignedCPU() {
                try ProcessScheduling.pinProcess(to: cpu)
                applied.append("pinned to CPU \(cpu)")
            }
        } catch {
            log.warning("scheduling not (fully) applied, serving anyway: \(error)")
        }
        log.info("scheduling: \(applied.isEmpty ? "default" : applied.joined(separator: ", "))")
    }
}

/// The outbound pool's one router, shared by its threads. Sharing is safe because it is built
/// only from the pooled stores (each call borrows a connection and returns it) and Sendable
/// clients: nothing in it is confined to a thread, unlike an accept thread's router.
private struct SharedRouter: @unchecked Sendable {
    let router: Router
}
