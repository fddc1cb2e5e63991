/// One page of a list, newest first, and where the next page starts.
public struct ListPage<Item: Sendable>: Sendable {
    /// At most the page size asked for.
    public var items: [Item]
    /// After the last item, when more follow.
    public var next: ListCursor?

    /// The page `query` asks for, read by `fetch`, which is asked for one item more: that one
    /// only tells whether a next page exists.
    static func read<Query: PagedListQuery>(_ query: Query, cursor: (Item) -> ListCursor, _ fetch: (Query) throws -> [Item]) throws -> ListPage {
        var oneMore = query
        oneMore.limit += 1
        let items = try fetch(oneMore)
        let shown = Array(items.prefix(query.limit))
        return ListPage(items: shown, next: items.count > query.limit ? shown.last.map(cursor) : nil)
    }
}

/// The fields both list queries share: the range filters and the page (its size, and the
/// cursor it continues after).
public protocol PagedListQuery {
    var minAmount: Int64? { get set }
    var maxAmount: Int64? { get set }
    var minDate: Int64? { get set }
    var maxDate: Int64? { get set }
    var limit: Int { get set }
    var after: ListCursor? { get set }
}

extension OrderListQuery: PagedListQuery {}
extension PaymentListQuery: PagedListQuery {}
