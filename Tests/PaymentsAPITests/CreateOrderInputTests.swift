import HTTPKit
@testable import PaymentsAPI
import PaymentsDomain
import Testing
import TestSupport

@Suite struct CreateOrderInputTests {
    let rules = CreateOrderInput.Rules()

    func problem(_ body: String?, contentType: String? = "application/json", exceeds: Bool = false) -> Problem? {
        var request = jsonRequest("POST", "/orders", body: body, contentType: contentType)
        request.bodyExceedsLimit = exceeds
        do {
            _ = try CreateOrderInput.decode(request, rules: rules)
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsTheSpecExample() throws {
        let input = try CreateOrderInput.decode(jsonRequest("POST", "/orders", body: #"{"amount": 29900, "currency": "NOK", "receipt": "receipt#1"}"#), rules: rules)
        #expect(input == CreateOrderInput(amount: 29900, currency: "NOK", receipt: "receipt#1"))
    }

    @Test func receiptIsOptional() throws {
        let input = try CreateOrderInput.decode(jsonRequest("POST", "/orders", body: #"{"amount": 1, "currency": "EUR", "receipt": null}"#), rules: rules)
        #expect(input.receipt == nil)
    }

    @Test(arguments: [
        (#"{"currency":"NOK"}"#, "amount"),
        (#"{"amount":null,"currency":"NOK"}"#, "amount"),
        (#"{"amount":0,"currency":"NOK"}"#, "amount"),
        (#"{"amount":-5,"currency":"NOK"}"#, "amount"),
        (#"{"amount":100000001,"currency":"NOK"}"#, "amount"),
        (#"{"amount":299.5,"currency":"NOK"}"#, "amount"),
        (#"{"amount":1e3,"currency":"NOK"}"#, "amount"),
        (#"{"amount":"29900","currency":"NOK"}"#, "amount"),
        (#"{"amount":true,"currency":"NOK"}"#, "amount"),
        (#"{"amount":99999999999999999999,"currency":"NOK"}"#, "amount"),
        (#"{"amount":100}"#, "currency"),
        (#"{"amount":100,"currency":"nok"}"#, "currency"),
        (#"{"amount":100,"currency":"NO"}"#, "currency"),
        (#"{"amount":100,"currency":"XYZ"}"#, "currency"),
        (#"{"amount":100,"currency":578}"#, "currency"),
        (#"{"amount":100,"currency":"NOK","receipt":5}"#, "receipt"),
        (#"{"amount":100,"currency":"NOK","receipt":"a\u0000b"}"#, "receipt"),
        (#"{"amount":100,"currency":"NOK","extra":1}"#, "extra"),
        (#"[1,2]"#, "body"),
        (#"{"amount":1,"#, "body"),
        (#"{"amount":1,"amount":2,"currency":"NOK"}"#, "body"),
    ])
    func rejectsInvalidFieldsNamingThem(body: String, field: String) {
        let problem = problem(body)
        #expect(problem?.status == 400)
        #expect(problem?.field == field)
    }

    @Test func amountBoundsAreInclusive() {
        #expect(problem(#"{"amount":1,"currency":"NOK"}"#) == nil)
        #expect(problem(#"{"amount":100000000,"currency":"NOK"}"#) == nil)
    }

    @Test func receiptLengthLimit() {
        let ok = String(repeating: "r", count: 255), long = String(repeating: "r", count: 256)
        #expect(problem(#"{"amount":1,"currency":"NOK","receipt":"\#(ok)"}"#) == nil)
        #expect(problem(#"{"amount":1,"currency":"NOK","receipt":"\#(long)"}"#)?.field == "receipt")
    }

    @Test func transportLevelProblems() {
        #expect(problem(#"{"amount":1,"currency":"NOK"}"#, contentType: "text/plain")?.status == 415)
        #expect(problem(#"{"amount":1,"currency":"NOK"}"#, contentType: nil)?.status == 415)
        #expect(problem(#"{"amount":1,"currency":"NOK"}"#, contentType: "application/json; charset=utf-8") == nil)
        #expect(problem("")?.status == 400)
        #expect(problem("")?.field == "body")
        #expect(problem(#"{"amount":1,"currency":"NOK"}"#, exceeds: true)?.status == 413)
    }

    /// Lengths are code points, as JSON Schema counts maxLength: 255 combining sequences of
    /// two code points each are 255 characters but 510 code points.
    @Test func receiptLengthCountsCodePoints() {
        let combined = String(repeating: "e\u{301}", count: 128)
        #expect(combined.count == 128 && combined.unicodeScalars.count == 256)
        #expect(problem(#"{"amount": 1, "currency": "NOK", "receipt": "\#(combined)"}"#)?.field == "receipt")
        let fits = String(repeating: "e\u{301}", count: 127)
        #expect(problem(#"{"amount": 1, "currency": "NOK", "receipt": "\#(fits)"}"#) == nil)
    }
}
