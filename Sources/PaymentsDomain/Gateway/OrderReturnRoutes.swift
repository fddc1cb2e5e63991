/// Where a shopper comes back to, and where the provider reports, for one order: routes of
/// this service, built by the API layer that serves them.
public protocol OrderReturnRoutes: Sendable {
    /// The shopper's way back from the payment page.
    func returnURL(orderID: String) -> String
    /// Where the provider reports the payment and later operations.
    func callbackURL(orderID: String) -> String
}
