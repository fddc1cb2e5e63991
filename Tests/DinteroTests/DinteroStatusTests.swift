import Dintero
import HTTPKit
import PaymentsDomain
import Testing

/// Dintero's status and event names map to the domain's, and back for the sandbox.
@Suite struct DinteroStatusTests {
    @Test func mapsTransactionStatusesToOrderStatuses() {
        #expect(DinteroStatus.orderStatus("AUTHORIZED") == .authorized)
        #expect(DinteroStatus.orderStatus("ON_HOLD") == .onHold)
        #expect(DinteroStatus.orderStatus("CAPTURED") == .captured)
        #expect(DinteroStatus.orderStatus("INITIATED") == nil)
        #expect(DinteroStatus.orderStatus("PENDING") == nil)
        // Every order status a transaction can have has a Dintero name, and only those do.
        for status in OrderStatus.allCases {
            #expect((DinteroStatus.orderStatus(status.rawValue) != nil) == OrderStatus.transactionStatuses.contains(status), "\(status)")
        }
    }

    @Test func statusAfterOperations() {
        #expect(DinteroStatus.afterOperations(amount: 100, captured: 0, refunded: 0) == "AUTHORIZED")
        #expect(DinteroStatus.afterOperations(amount: 100, captured: 40, refunded: 0) == "PARTIALLY_CAPTURED")
        #expect(DinteroStatus.afterOperations(amount: 100, captured: 40, refunded: 10) == "PARTIALLY_CAPTURED_REFUNDED")
        #expect(DinteroStatus.afterOperations(amount: 100, captured: 100, refunded: 10) == "PARTIALLY_REFUNDED")
        #expect(DinteroStatus.afterOperations(amount: 100, captured: 100, refunded: 100) == "REFUNDED")
    }

    @Test func transactionDocumentsReadInDomainTerms() throws {
        let json = try JSONValue.parse(Array("""
            {"id":"T1","status":"PARTIALLY_CAPTURED","amount":100,"currency":"NOK","session_id":"S1","events":[
              {"event":"AUTHORIZE","success":true,"amount":100},
              {"event":"CAPTURE","success":true,"amount":40,"event_reference":"op1"},
              {"event":"REFUND","success":false,"amount":10}]}
            """.utf8))
        let transaction = try #require(GatewayTransaction(json: json))
        #expect(transaction.status == .partiallyCaptured)
        #expect(transaction.events.map(\.operation) == [nil, .capture, .refund])
        #expect(transaction.capturedAmount == 40)
        #expect(transaction.refundedAmount == 0)
        #expect(transaction.event(reference: "op1", correlationID: nil)?.amount == 40)
        let unknown = try #require(GatewayTransaction(json: try JSONValue.parse(Array(#"{"id":"T2","status":"NEW_THING","amount":1,"currency":"NOK"}"#.utf8))))
        #expect(unknown.status == nil)
        #expect(unknown.reportedStatus == "NEW_THING")
    }
}
