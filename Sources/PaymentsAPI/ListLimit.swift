import HTTPKit

/// The `limit` query parameter shared by the list endpoints.
enum ListLimit {
    /// Largest page.
    static let maximum = 1000
    /// Page size when `limit` is absent.
    static let `default` = 100

    /// `limit` as an integer from 1 to ``maximum``, or a 400 naming it.
    static func parse(_ text: String) throws(Problem) -> Int {
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw Problem.invalidField("limit", "limit must be an integer from 1 to \(maximum).")
        }
        return value
    }
}
