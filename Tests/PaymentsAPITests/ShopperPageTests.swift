@testable import PaymentsAPI
import PaymentsDomain
import Testing

@Suite struct ShopperPageTests {
    /// Amounts read as people write them: grouped thousands, the currency's own decimals.
    @Test(arguments: [
        (123456, "GBP", "£1,234.56"), (500, "EUR", "€5.00"), (99, "USD", "$0.99"), (299000, "NOK", "2,990.00 NOK"),
        (1500, "JPY", "¥1,500"), (1234567, "KWD", "1,234.567 KWD"), (100000000000, "SEK", "1,000,000,000.00 SEK"),
        (-5, "NOK", "-0.05 NOK"), (0, "ISK", "0 ISK"),
    ])
    func amountsAreGroupedWithTheCurrencysDecimals(minorUnits: Int64, currency: String, shown: String) {
        #expect(MoneyFormat.format(minorUnits: minorUnits, currency: currency) == shown)
    }

    /// The way back to the shop carries the outcome, after the shop's own query and before its fragment.
    @Test func theReturnLinkCarriesTheOutcome() {
        func payment(_ returnURL: String, _ state: PaymentState, _ reason: String? = nil) -> Payment {
            Payment(transactionID: "t-1", reference: "R", amount: 1, returnURL: returnURL, state: state, errorReason: reason, createdAt: 0, updatedAt: 0)
        }
        let declined = payment("https://shop.example/back?order=7#top", .error, PaymentOutcome.declinedReason("card_declined"))
        #expect(CardPage.returnLink(declined, outcome: declined.outcome)
            == "https://shop.example/back?order=7&status=declined&transactionId=t-1&reason=card_declined#top")
        let failed = payment("https://shop.example/back", .error, "provider timed out")
        #expect(failed.outcome == .failed)
        #expect(CardPage.returnLink(failed, outcome: failed.outcome) == "https://shop.example/back?status=failed&transactionId=t-1")
        #expect(payment("x", .error, PaymentOutcome.declinedReason(nil)).outcome == .declined(reason: nil))
        #expect(payment("x", .ok).outcome == .approved)
        #expect(payment("x", .card).outcome == .processing)
    }
}
