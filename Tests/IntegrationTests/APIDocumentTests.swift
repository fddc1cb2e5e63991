import Foundation
import HTTPKit
import Testing
import TestSupport

extension IntegrationSuite {
    /// The served OpenAPI document and HEAD tell a client the truth about the running service.
    @Suite struct APIDocumentTests {
        static let key = "document-key-0123456789"

        /// Every merchant operation requires the bearer key (no empty alternative), and the
        /// document is one, served under both prefixes.
        @Test func theDocumentRequiresTheKeyOnMerchantOperations() throws {
            try StackHarness.withStack(workerEnvironment: ["PAYMENTS_API_KEY": Self.key]) { _, shop in
                let document = try shop.http.get("/orders/openapi.json")
                #expect(document.status == 200)
                #expect(try shop.http.get("/payments/openapi.json").body == document.body)
                let paths = try #require(document.json["paths"]?.objectMembers)
                var secured: [String] = []
                for (path, operations) in paths {
                    for (method, operation) in operations.objectMembers ?? [] {
                        guard let security = operation["security"]?.arrayValue else { continue }
                        #expect(security == [.object([("bearer", .array([]))])], "\(method) \(path): \(security)")
                        secured.append("\(method) \(path)")
                        // And the service holds to it: no key, 401.
                        let target = path.replacingOccurrences(of: "{id}", with: "00000000-0000-4000-8000-000000000000")
                            .replacingOccurrences(of: "{txid}", with: "x")
                        let anonymous = try shop.http.send(method.uppercased(), target, body: method == "post" ? Array("{}".utf8) : nil,
                                                           headers: ["Content-Type": "application/json"])
                        #expect(anonymous.status == 401, "\(method) \(path)")
                    }
                }
                #expect(secured.count >= 11, "\(secured)")
            }
        }

        /// Amount filters are bounded at 12 digits in the document and the message says so.
        @Test func amountFiltersDeclareTheirBound() throws {
            try StackHarness.withStack { _, shop in
                let document = try shop.http.get("/orders/openapi.json").json
                for path in ["/orders", "/payments"] {
                    let parameters = try #require(document["paths"]?[path]?["get"]?["parameters"]?.arrayValue)
                    for name in ["minAmount", "maxAmount"] {
                        let parameter = try #require(parameters.first { $0["name"]?.stringValue == name })
                        #expect(parameter["schema"]?["maximum"]?.integerValue == 999_999_999_999, "\(path) \(name)")
                        let refused = try shop.http.get("\(path)?\(name)=9999999999999")
                        #expect(refused.status == 400)
                        let message = refused.json["detail"]?.stringValue ?? refused.json["message"]?.stringValue
                        #expect(message?.contains("at most 12") == true, "\(path) \(name): \(refused.text)")
                        #expect(try shop.http.get("\(path)?\(name)=999999999999").status == 200)
                    }
                }
            }
        }

        /// HEAD answers as GET without the body, with the GET's Content-Length, on every GET
        /// route the document lists and the operator endpoints; Allow names HEAD beside GET.
        @Test func headAnswersAsGetOnEveryGetRoute() throws {
            try StackHarness.withStack(sandboxEnvironment: ["SANDBOX_CALLBACK_ATTEMPTS": "0"]) { _, shop in
                let order = try shop.createOrder()
                let id = try #require(order["id"]?.stringValue)
                let payment = try shop.http.postJSON("/payments", #"{"reference":"R","amount":"100","returnUrl":"https://shop.example/r"}"#)
                let txid = try #require(payment.json["transactionId"]?.stringValue)
                let document = try shop.http.get("/orders/openapi.json").json
                var targets: [String] = []
                for (path, operations) in document["paths"]?.objectMembers ?? [] where operations["get"] != nil {
                    let target = path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{txid}", with: txid)
                    targets.append(target.hasSuffix("redirect") || target.hasSuffix("callback") ? target + "?error=cancelled" : target)
                }
                #expect(targets.count >= 10, "\(targets)")
                // Pages whose content changes between two requests (counters, uptime).
                let volatile: Set<String> = ["/status", "/metrics", "/readyz", "/healthz"]
                for target in targets + volatile.sorted() {
                    for accept in ["application/json", "text/html"] {
                        let get = try shop.http.get(target, accept: accept)
                        let head = try shop.http.send("HEAD", target, headers: ["Accept": accept])
                        #expect(head.status == get.status, "\(target) (\(accept))")
                        #expect(head.body.isEmpty, "\(target) (\(accept))")
                        #expect(head.header("Content-Type") == get.header("Content-Type"), "\(target) (\(accept))")
                        let length = head.header("Content-Length").flatMap { Int($0) }
                        if volatile.contains(target) {
                            #expect(length.map { $0 > 0 } ?? true, "\(target): \(head.header("Content-Length") ?? "none")")
                        } else {
                            #expect(length == nil || length == get.body.count, "\(target) (\(accept)): HEAD \(length ?? -1), GET \(get.body.count)")
                        }
                    }
                }
                let notAllowed = try shop.http.send("DELETE", "/orders")
                #expect(notAllowed.status == 405)
                let allow = Set((notAllowed.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                #expect(allow == ["GET", "HEAD", "POST"], "\(notAllowed.header("Allow") ?? "none")")
            }
        }
    }
}
