import PaymentsDomain

/// `GET /orders/{id}/redirect` and `/orders/{id}/callback` under the public base URL: the
/// routes ``OrdersController`` serves, named where they are registered.
public struct OrderReturnURLs: OrderReturnRoutes {
    let publicBaseURL: String

    /// The routes under `publicBaseURL` (`https://shop.example`, no trailing slash).
    public init(publicBaseURL: String) {
        self.publicBaseURL = publicBaseURL
    }

    public func returnURL(orderID: String) -> String { "\(publicBaseURL)/orders/\(orderID)/redirect" }

    public func callbackURL(orderID: String) -> String { "\(publicBaseURL)/orders/\(orderID)/callback" }
}
