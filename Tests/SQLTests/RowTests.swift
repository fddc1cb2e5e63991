import SQL
import Testing

/// A row's columns read by name and by position decode the same values, and a column that is
/// not there or holds another type throws instead of reading as NULL.
@Suite struct RowTests {
    @Test func readsByNameAndByPosition() throws {
        let row = SQLRow(layout: SQLRow.Layout(columns: ["n", "currency", "receipt"]), values: [.integer(7), .text("NOK"), .null])
        #expect(try row.get(at: 0) as Int64 == 7)
        #expect(try row.get("n") as Int64 == 7)
        #expect(try row.get(at: 1) as String == "NOK")
        #expect(try row.get(at: 2) as String? == nil)

        let mismatch = #expect(throws: SQLRowError.self) { try row.get(at: 1) as Int64 }
        #expect(mismatch?.description.contains("currency") == true)
        #expect(throws: SQLRowError.self) { try row.get(at: 2) as String }
        let missing = #expect(throws: SQLRowError.self) { try row.get(at: 3) as Int64 }
        #expect(missing?.description.contains("n, currency, receipt") == true)
        #expect(throws: SQLRowError.self) { try row.get(at: -1) as Int64 }
        #expect(throws: SQLRowError.self) { try row.get("typo") as Int64 }
    }
}
