import HTTPKit
import PaymentsAPI
import PaymentsDomain
import ServiceSupport

/// Builds the routes of the service for one worker thread.
public enum Application {
    /// The router for one thread, with the thread's own stores.
    public static func router(
        configuration: ServiceConfiguration,
        orders: OrderStore,
        gateway: PaymentGateway,
        payments: PaymentStore,
        idempotency: IdempotencyStore,
        provider: PaymentProvider,
        clock: WallClock = SystemClock(),
        log: Logger
    ) -> Router {
        var router = Router(log: log, translate: unavailableStore)
        let idempotencyService = IdempotencyService(store: idempotency, clock: clock)
        OrdersController(
            service: configuration.orderService(store: orders, gateway: gateway, clock: clock, log: log),
            rules: configuration.orderRules,
            keys: configuration.apiKeys,
            idempotency: idempotencyService,
            branding: configuration.branding,
            callbackSignature: configuration.callbackSignature,
            publicBaseURL: configuration.publicBaseURL,
            clock: clock
        ).register(on: &router)
        PaymentsController(
            service: CardPaymentService(store: payments, provider: provider, clock: clock, log: log),
            configuration: configuration.payments,
            keys: configuration.apiKeys,
            idempotency: idempotencyService,
            branding: configuration.branding
        ).register(on: &router)
        return router
    }

    /// A store that cannot reach its database answers 503 with `Retry-After`: every write is
    /// one transaction, so nothing is half-written, and the workers reconnect by themselves
    /// once it is back.
    static func unavailableStore(_ error: any Error) -> Problem? {
        guard (error as? StoreFailure)?.isUnavailable == true else { return nil }
        var problem = Problem(
            status: .serviceUnavailable, title: "Database unavailable",
            detail: "The database cannot be reached right now. Retry shortly (with the same Idempotency-Key, if the request had one)."
        )
        problem.headers.append("Retry-After", "2")
        return problem
    }
}
