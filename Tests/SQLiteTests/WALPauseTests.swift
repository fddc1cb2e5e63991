@testable import SQLite
import Testing

/// With a dedicated checkpointer, writes pause while the WAL is past its limit, so that a
/// checkpointer starved of CPU cannot let it grow without bound.
@Suite struct WALPauseTests {
    /// The shape of the pause, not its tuning: none up to the limit, then one that never
    /// shrinks as the WAL grows, and a cap (a write never stalls without bound); no limit, no pause.
    @Test func thePauseGrowsPastTheLimitAndIsCapped() throws {
        let limit = 100
        #expect(Connection.walPause(frames: limit, limit: limit) == 0)
        let pauses = (limit + 1...limit * 100).map { Connection.walPause(frames: $0, limit: limit) }
        #expect(pauses.allSatisfy { $0 > 0 })
        #expect(zip(pauses, pauses.dropFirst()).allSatisfy { $0 <= $1 }, "never shorter for a fuller WAL")
        #expect(pauses.last == pauses[limit], "capped: as long at 2 × the limit as at 100 ×")
        #expect(try #require(pauses.first) < #require(pauses.last), "it grows")
        #expect(Connection.walPause(frames: 10_000, limit: 0) == 0)
    }

    @Test func writesPauseWhileTheWALIsPastTheLimitAndNotOnceItIsRestarted() throws {
        let path = temporaryDatabase()
        // 64 KiB: 15 frames of a 4 KiB page.
        let writer = try Connection(path: path, options: .init(walAutoCheckpointPages: 0, walPauseBytes: 64 << 10))
        try writer.execute("CREATE TABLE t (b BLOB)")
        func insert(_ bytes: Int) throws {
            try writer.write { try $0.run("INSERT INTO t VALUES (zeroblob(?))", [.integer(Int64(bytes))]) }
        }
        try insert(100)
        #expect(writer.pausedWrites == 0)
        for _ in 0..<40 { try insert(3_000) }
        let paused = writer.pausedWrites
        #expect(paused > 10)
        #expect(Connection.walPauses >= paused)

        let checkpointer = try Connection(path: path)
        #expect(try checkpointer.checkpoint(.restart).busy == false)
        // The WAL is written from its beginning again: one small commit is no reason to pause.
        try insert(100)
        #expect(writer.pausedWrites == paused)
        #expect(try writer.scalar("SELECT count(*) FROM t")?.int64 == 42)
    }

    @Test func withoutALimitWritesNeverPause() throws {
        let writer = try Connection(path: temporaryDatabase(), options: .init(walAutoCheckpointPages: 0))
        try writer.execute("CREATE TABLE t (b BLOB)")
        for _ in 0..<40 { try writer.write { try $0.run("INSERT INTO t VALUES (zeroblob(3000))") } }
        #expect(writer.pausedWrites == 0)
    }
}
