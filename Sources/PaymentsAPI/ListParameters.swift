import HTTPKit
import PaymentsDomain
import ServiceSupport

/// The query parameters both list endpoints share, parsed strictly: an unknown or repeated
/// parameter, a sign or a space in a number, or a range the wrong way round is a 400 naming
/// the parameter, never silently ignored.
enum ListParameters {
    /// Largest page.
    static let maximumLimit = 1000
    /// Page size when `limit` is absent.
    static let defaultLimit = 100

    /// Calls `handle` with each parameter after checking it is known and not repeated.
    static func each(_ request: HTTPRequest, known: Set<String>, _ handle: (String, String) throws(Problem) -> Void) throws(Problem) {
        var seen = Set<String>()
        for (name, value) in request.queryItems {
            guard known.contains(name) else {
                throw .invalidField(name, "Unknown query parameter \(name); known: \(known.sorted().joined(separator: ", ")).")
            }
            guard seen.insert(name).inserted else { throw .invalidField(name, "\(name) is given more than once.") }
            try handle(name, value)
        }
    }

    /// Reads the parameters every list shares (`minAmount`, `maxAmount`, `minDate`, `maxDate`,
    /// `limit`, `cursor`) into `query`; false for a name that is not one of them.
    static func readShared<Query: PagedListQuery>(_ name: String, _ value: String, into query: inout Query, amountUnit: String) throws(Problem) -> Bool {
        switch name {
        case "minAmount": query.minAmount = try amount(name, value, unit: amountUnit)
        case "maxAmount": query.maxAmount = try amount(name, value, unit: amountUnit)
        case "minDate": query.minDate = try date(name, value, endOfDay: false)
        case "maxDate": query.maxDate = try date(name, value, endOfDay: true)
        case "limit": query.limit = try limit(value)
        case "cursor": query.after = try cursor(value)
        default: return false
        }
        return true
    }

    /// `limit`: digits only, 1 to ``maximumLimit``.
    static func limit(_ text: String) throws(Problem) -> Int {
        guard CardDetails.isDigits(text), text.count <= 4, let value = Int(text), (1...maximumLimit).contains(value) else {
            throw .invalidField("limit", "limit must be an integer from 1 to \(maximumLimit).")
        }
        return value
    }

    /// An amount bound: digits only, at most 12 of them.
    static func amount(_ name: String, _ text: String, unit: String) throws(Problem) -> Int64 {
        guard CardDetails.isDigits(text), text.count <= 12, let amount = Int64(text) else {
            throw .invalidField(name, "\(name) must be \(unit) as digits, at most 12 of them.")
        }
        return amount
    }

    /// Epoch milliseconds (all digits), an ISO 8601 date-time, or a date (its first or, for an
    /// upper bound, last millisecond in UTC).
    static func date(_ name: String, _ text: String, endOfDay: Bool) throws(Problem) -> Int64 {
        if CardDetails.isDigits(text), text.count <= 15, let millis = Int64(text) { return millis }
        guard !CardDetails.isDigits(text), let parsed = Timestamp.parse(text) else {
            throw .invalidField(name, "\(name) must be an ISO 8601 date (2026-11-22) or date-time in UTC, or epoch milliseconds.")
        }
        return endOfDay && text.count == 10 ? parsed + 86_399_999 : parsed
    }

    /// `cursor`: the value of a previous `X-Next-Cursor` header.
    static func cursor(_ text: String) throws(Problem) -> ListCursor {
        guard let cursor = ListCursor(text) else {
            throw .invalidField("cursor", "cursor must be the value of a previous X-Next-Cursor header.")
        }
        return cursor
    }

    /// Refuses ranges whose lower bound is above the upper one.
    static func checkRanges<Query: PagedListQuery>(_ query: Query) throws(Problem) {
        if let min = query.minAmount, let max = query.maxAmount, min > max {
            throw .invalidField("minAmount", "minAmount must not be greater than maxAmount.")
        }
        if let min = query.minDate, let max = query.maxDate, min > max {
            throw .invalidField("minDate", "minDate must not be after maxDate.")
        }
    }

    /// A page written by `write` into one buffer sized for its items, with `X-Next-Cursor`
    /// and `Link: <…>; rel="next"` (the same query with the new cursor) when more follow.
    static func response<Item>(
        _ page: ListPage<Item>, for request: HTTPRequest, path: String, bytesPerItem: Int, _ write: (inout JSONWriter) -> Void
    ) -> HTTPResponse {
        var response = HTTPResponse.json(capacity: 64 + bytesPerItem * page.items.count, write)
        if let next = page.next { nextPage(request, path: path, cursor: next, into: &response.headers) }
        return response
    }

    private static func nextPage(_ request: HTTPRequest, path: String, cursor: ListCursor, into headers: inout HTTPFields) {
        headers.append("X-Next-Cursor", cursor.description)
        var items = request.queryItems.filter { $0.name != "cursor" }.map { ($0.name, $0.value) }
        items.append(("cursor", cursor.description))
        headers.append("Link", "<\(path)?\(FormEncoding.encode(items))>; rel=\"next\"")
    }
}

