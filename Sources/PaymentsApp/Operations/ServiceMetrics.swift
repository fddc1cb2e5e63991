import PaymentsDomain
import ProcessSupervision
import ServiceSupport

/// The metric names the service exposes at `/metrics`, with their help texts.
enum ServiceMetrics {
    static let requests = "payments_http_requests_total"
    static let requestDuration = "payments_http_request_duration_seconds"
    static let acceptedRequests = "payments_accepted_requests_total"
    static let threads = "payments_worker_threads"
    static let workers = "payments_workers"
    static let restarts = "payments_worker_restarts_total"
    static let reloads = "payments_reloads_total"
    static let listenQueue = "payments_listen_queue"
    static let listenQueueLimit = "payments_listen_queue_limit"
    static let outbound = "payments_outbound_requests_total"
    static let outboundInFlight = "payments_outbound_in_flight"
    static let parkedRequests = "payments_parked_requests"
    static let outboundPoolThreads = "payments_outbound_pool_threads"
    static let outboundQueued = "payments_outbound_queued_requests"
    static let outboundRefused = "payments_outbound_refused_total"
    static let circuit = "payments_outbound_circuit_state"
    static let urlSessionSocketActions = "payments_urlsession_socket_actions_total"
    static let urlSessionDroppedWriteWatches = "payments_urlsession_dropped_write_watches_total"
    static let sqliteBusyRetries = "payments_sqlite_busy_retries_total"
    static let sqliteWALPauses = "payments_sqlite_wal_pauses_total"
    static let walBytes = "payments_sqlite_wal_bytes"
    static let databaseBytes = "payments_sqlite_database_bytes"

    static let exposition = PrometheusExposition(metrics: [
        .init(requests, .counter, "Requests answered by the workers, by method, route pattern and status."),
        .init(requestDuration, .histogram, "Time from accept to the response written, by method and route pattern."),
        .init(acceptedRequests, .counter, "FastCGI requests accepted by the workers."),
        .init(threads, .gauge, "Accept threads of all workers, busy (serving a request) or idle (waiting in accept)."),
        .init(workers, .gauge, "Worker processes: configured, and running with a fresh status report."),
        .init(restarts, .counter, "Worker processes started again after they died."),
        .init(reloads, .counter, "Completed reloads (SIGHUP)."),
        .init(listenQueue, .gauge, "Connections waiting in the FastCGI socket's accept queue."),
        .init(listenQueueLimit, .gauge, "Size of the FastCGI socket's accept queue."),
        .init(outbound, .counter, "Outbound calls by target (dintero, provider) and outcome."),
        .init(outboundInFlight, .gauge, "Outbound calls in flight, by target."),
        .init(parkedRequests, .gauge, "Requests waiting on an outbound call without an accept thread (parked)."),
        .init(outboundPoolThreads, .gauge, "Threads answering parked requests, running one or idle."),
        .init(outboundQueued, .gauge, "Parked requests waiting for a thread (every one was running)."),
        .init(outboundRefused, .counter, "Parked requests refused with 503: the queue was full or its deadline passed."),
        .init(circuit, .gauge, "Worker processes whose circuit breaker for the target is in this state."),
        .init(urlSessionSocketActions, .counter, "Socket events URLSession handed to libcurl: a few per outbound call, thousands in a busy loop."),
        .init(urlSessionDroppedWriteWatches, .counter, "New outbound connections whose left-over write watch the URLSession fix dropped."),
        .init(sqliteBusyRetries, .counter, "Times a SQLite connection waited for another connection's lock."),
        .init(sqliteWALPauses, .counter, "Writes that paused because the SQLite WAL was past WAL_PAUSE_BYTES."),
        .init(walBytes, .gauge, "Size of the SQLite write-ahead log file."),
        .init(BusinessMetric.ordersCreated, .counter, "Orders created, by currency."),
        .init(BusinessMetric.orderStatusChanges, .counter, "Orders that moved to a status, by that status (to)."),
        .init(BusinessMetric.operations, .counter, "Captures, refunds and voids that ended, by kind and outcome (succeeded, failed, not_sent)."),
        .init(BusinessMetric.amounts, .counter, "Amounts captured and refunded, in minor units, by kind and currency."),
        .init(BusinessMetric.verificationRefusals, .counter, "Returns and callbacks whose transaction did not prove the order's payment, by source."),
        .init(BusinessMetric.callbackSignatureFailures, .counter, "Callbacks refused for a missing or wrong Dintero-Signature."),
        .init(BusinessMetric.cardPayments, .counter, "Card charges of the /payments broker, by outcome (approved, declined, error, cancelled: the shopper went back without paying)."),
        .init(databaseBytes, .gauge, "Size of the SQLite database file."),
    ])
}
