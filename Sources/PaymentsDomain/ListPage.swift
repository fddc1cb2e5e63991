/// One page of a list, newest first, and where the next page starts.
public struct ListPage<Item: Sendable>: Sendable {
    /// At most the page size asked for.
    public var items: [Item]
    /// After the last item, when more follow.
    public var next: ListCursor?

    /// A page of at most `limit` items read by `fetch`, which is asked for one more: that
    /// one only tells whether a next page exists.
    static func read(limit: Int, cursor: (Item) -> ListCursor, _ fetch: (Int) throws -> [Item]) throws -> ListPage {
        let items = try fetch(limit + 1)
        let shown = Array(items.prefix(limit))
        return ListPage(items: shown, next: items.count > limit ? shown.last.map(cursor) : nil)
    }
}
