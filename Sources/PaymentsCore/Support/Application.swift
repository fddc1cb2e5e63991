/// Builds the routes of the service for one worker thread.
public enum Application {
    /// The router for one thread, with the thread's own store.
    public static func router(
        configuration: ServiceConfiguration,
        orders: OrderStore,
        gateway: PaymentGateway,
        payments: PaymentStore,
        provider: PaymentProvider,
        clock: WallClock = SystemClock(),
        log: Logger
    ) -> Router {
        var router = Router(log: log)
        OrdersController(
            store: orders,
            gateway: gateway,
            rules: configuration.orderRules,
            publicBaseURL: configuration.publicBaseURL,
            clock: clock,
            log: log
        ).register(on: &router)
        PaymentsController(
            store: payments,
            provider: provider,
            configuration: configuration.payments,
            clock: clock,
            log: log
        ).register(on: &router)
        return router
    }
}
