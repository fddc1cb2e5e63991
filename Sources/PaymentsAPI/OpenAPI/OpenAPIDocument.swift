import HTTPKit

/// Serves `openapi.json` (OpenAPI 3.1, both APIs) under each forwarded prefix, so it is
/// reachable through the production nginx config: `GET /orders/openapi.json`,
/// `GET /payments/openapi.json`. Public: it documents, it does not reveal data.
enum OpenAPIDocument {
    /// The document's bytes, as committed in `Sources/PaymentsAPI/OpenAPI/openapi.json`.
    static let bytes: [UInt8] = PackageResources.openapi_json

    /// The document as a response.
    static var response: HTTPResponse {
        HTTPResponse(status: .ok, headers: [("Content-Type", "application/json"), ("Cache-Control", "max-age=300")], body: bytes)
    }
}
