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
    /// The shape of the schedule, not its tuning: quiet rounds wait the interval; a WAL that
    /// filled past the restart point brings the next round forward, the sooner the fuller it
    /// was, but never into a busy loop; a round that met a busy lock tries again soon.
    @Test func aWALThatFilledPastTheLimitBringsTheNextRoundForward() {
        let interval = 0.2, limit = 1_000
        #expect(Checkpointer.pause(after: .idle, walFrames: 0, restartFrames: limit, interval: interval) == interval)
        #expect(Checkpointer.pause(after: .copied, walFrames: limit - 100, restartFrames: limit, interval: interval) == interval)
        #expect(Checkpointer.pause(after: .restarted, walFrames: limit, restartFrames: limit, interval: interval) == interval)
        let restarted = stride(from: limit, through: limit * 1_000, by: limit).map {
            Checkpointer.pause(after: .restarted, walFrames: $0, restartFrames: limit, interval: interval)
        }
        #expect(restarted[1] < interval, "a WAL twice the limit: sooner")
        #expect(zip(restarted, restarted.dropFirst()).allSatisfy { $0 >= $1 }, "fuller: never later")
        #expect(restarted.allSatisfy { $0 > 0 }, "never a busy loop")
        let busy = Checkpointer.pause(after: .busy, walFrames: 5 * limit, restartFrames: limit, interval: interval)
        #expect(busy > 0 && busy < interval)
    }
}
