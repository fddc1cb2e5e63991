import SQL
import Testing

/// Interpolated values are bound, never written into the text; each dialect numbers its
/// placeholders its way, fragments keep their values in order, and only `raw:` text is SQL.
@Suite struct SQLQueryTests {
    @Test func valuesAreBoundInOrderWithEachDialectsPlaceholders() {
        let id = "o'1; DROP TABLE orders", limit = 20
        let missing: String? = nil
        let query: SQLQuery = "SELECT * FROM orders WHERE id = \(id) AND receipt IS \(missing) LIMIT \(limit)"

        let sqlite = query.rendered(for: .sqlite)
        #expect(sqlite.sql == "SELECT * FROM orders WHERE id = ? AND receipt IS ? LIMIT ?")
        #expect(sqlite.values == [.text(id), .null, .integer(20)])
        let postgres = query.rendered(for: .postgres)
        #expect(postgres.sql == "SELECT * FROM orders WHERE id = $1 AND receipt IS $2 LIMIT $3")
        #expect(postgres.values == sqlite.values)
    }

    @Test func fragmentsJoinWithTheirValuesAndAbsentConditionsDrop() {
        let filter = SQLQuery.where([nil, "amount >= \(Int64(5))", nil, "currency = \("NOK")"])
        let query: SQLQuery = "SELECT \(raw: "id, amount") FROM orders \(filter) LIMIT \(3)"
        let rendered = query.rendered(for: .postgres)
        #expect(rendered.sql == "SELECT id, amount FROM orders WHERE amount >= $1 AND currency = $2 LIMIT $3")
        #expect(rendered.values == [.integer(5), .text("NOK"), .integer(3)])
        #expect(SQLQuery.where([nil, nil]).rendered(for: .sqlite).sql == "")
    }
}
