@testable import PaymentsApp
import SQLite
import Testing
import TestSupport

/// The supervisor's checkpointer starts the WAL again by what it holds, not by its file's size.
@Suite struct CheckpointerTests {
    @Test func restartsOnlyWhenTheWALHoldsMoreThanTheLimit() throws {
        let writer = try temporaryDatabase()
        try writer.execute("PRAGMA wal_autocheckpoint=0")
        let checkpointer = try Connection(path: writer.path)
        let limit = 256 << 10
        let restartFrames = try checkpointer.walFrames(holding: limit)
        try writer.execute("CREATE TABLE scratch (b BLOB)")
        func commit() throws {
            try writer.write { db in try db.run("INSERT INTO scratch (b) VALUES (zeroblob(3000))") }
        }
        // Well past the limit: copied and started again.
        for _ in 0..<100 { try commit() }
        #expect(Checkpointer.walSize(of: writer.path) > limit)
        #expect(try Checkpointer.round(checkpointer, restartFrames: restartFrames).0 == .restarted)
        // The next commit writes the WAL from its beginning: the file keeps its size, but one
        // commit in it is no reason to start again.
        try commit()
        #expect(Checkpointer.walSize(of: writer.path) > limit)
        #expect(try Checkpointer.round(checkpointer, restartFrames: restartFrames).0 == .copied)
    }
}

/// How long the checkpointer waits between rounds.
@Suite struct CheckpointerPauseTests {
    @Test func aWALThatFilledPastTheLimitBringsTheNextRoundForward() {
        let interval = 0.2
        #expect(Checkpointer.pause(after: .idle, walFrames: 0, restartFrames: 1_000, interval: interval) == interval)
        #expect(Checkpointer.pause(after: .copied, walFrames: 900, restartFrames: 1_000, interval: interval) == interval)
        // Restarted at twice the limit: next round in half the interval.
        #expect(Checkpointer.pause(after: .restarted, walFrames: 2_000, restartFrames: 1_000, interval: interval) == 0.1)
        #expect(Checkpointer.pause(after: .restarted, walFrames: 1_000, restartFrames: 1_000, interval: interval) == interval)
        // Never a busy loop.
        #expect(Checkpointer.pause(after: .restarted, walFrames: 1_000_000, restartFrames: 1_000, interval: interval) == 0.01)
        #expect(Checkpointer.pause(after: .busy, walFrames: 5_000, restartFrames: 1_000, interval: interval) == 0.02)
    }
}
