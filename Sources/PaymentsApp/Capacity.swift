import Foundation
import ServiceSupport

/// What a worker needs from the host for its configured capacity, checked at start-up.
enum Capacity {
    /// File descriptors one worker may hold at once: a FastCGI connection per accept thread,
    /// per request in flight (plus its connection to Dintero) and per queued request; three per
    /// database connection (an SQLite file, its WAL and shared memory); 64 to spare.
    static func fileDescriptors(configuration: ServiceConfiguration, threads: Int) -> Int {
        threads + 2 * configuration.outboundConcurrency + configuration.outboundQueue
            + 3 * (threads + configuration.outboundDatabaseConnections) + 64
    }

    /// Raises the soft limit on open files towards what the capacity needs (up to the hard
    /// limit), logs the effective capacity, and warns when the host allows less.
    static func check(configuration: ServiceConfiguration, threads: Int, log: Logger) {
        let needed = fileDescriptors(configuration: configuration, threads: threads)
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < rlim_t(needed) {
            limit.rlim_cur = min(limit.rlim_max, rlim_t(needed))
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        log.info(
            "capacity: \(threads) accept threads; \(configuration.outboundConcurrency) requests waiting on Dintero or the card provider "
                + "in flight, \(configuration.outboundQueue) more queued for up to \(configuration.outboundQueueSeconds) s, sharing "
                + "\(configuration.outboundDatabaseConnections) database connections; open files: \(needed) needed, limit \(limit.rlim_cur)"
        )
        if limit.rlim_cur < rlim_t(needed) {
            log.warning(
                "open-file limit \(limit.rlim_cur) is below the \(needed) this worker may need: raise it (systemd LimitNOFILE=, "
                    + "ulimit -n) or lower OUTBOUND_CONCURRENCY / OUTBOUND_QUEUE; past it new connections fail"
            )
        }
    }
}
