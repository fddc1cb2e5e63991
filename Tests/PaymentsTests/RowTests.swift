import SQLite
import Testing

/// A row's columns read by name and by position decode the same values, and a column that is
/// not there or holds another type throws instead of reading as NULL.
@Suite struct RowTests {
    @Test func readsByNameAndByPosition() throws {
        let connection = try Connection(path: ":memory:")
        let row = try #require(try connection.read { db in try db.queryOne("SELECT 7 AS n, 'NOK' AS currency, NULL AS receipt") })
        #expect(try row.get(at: 0) as Int64 == 7)
        #expect(try row.get("n") as Int64 == 7)
        #expect(try row.get(at: 1) as String == "NOK")
        #expect(try row.get(at: 2) as String? == nil)

        let mismatch = #expect(throws: SQLiteError.self) { try row.get(at: 1) as Int64 }
        #expect(mismatch?.description.contains("currency") == true)
        #expect(throws: SQLiteError.self) { try row.get(at: 2) as String }
        let missing = #expect(throws: SQLiteError.self) { try row.get(at: 3) as Int64 }
        #expect(missing?.description.contains("n, currency, receipt") == true)
        #expect(throws: SQLiteError.self) { try row.get(at: -1) as Int64 }
    }
}
