import Foundation
import ServiceSupport
import SQL
import SQLite

/// `payments-worker backup FILE`: a copy of the orders database taken while the service runs.
public enum SQLiteBackup {
    /// Writes a consistent snapshot of `source` (`VACUUM INTO`) beside `target`, checks it
    /// (`integrity_check`), then renames it into place, so `target` is either a whole, valid
    /// database or absent. Refuses to overwrite. Returns what was written, for the log.
    public static func write(from source: String, to target: String) throws -> String {
        guard !FileManager.default.fileExists(atPath: target) else { throw ConfigurationError("backup: \(target) exists; choose a new file") }
        guard FileManager.default.fileExists(atPath: source) else { throw ConfigurationError("backup: no database at \(source) (ORDERS_DB)") }
        let partial = "\(target).partial-\(getpid())"
        try? FileManager.default.removeItem(atPath: partial)
        var counts: [String] = []
        do {
            let connection = try Connection(path: source)
            defer { connection.close() }
            try connection.copy(to: partial)
            let copy = try Connection(path: partial)
            defer { copy.close() }
            let verdict = try copy.integrityCheck()
            guard verdict == "ok" else {
                throw ConfigurationError("backup: the copy failed its integrity check (\(verdict)); nothing was written to \(target)")
            }
            // What the copy holds, for the log and for comparing with the service's own figures.
            for table in ["orders", "order_events", "order_operations", "payments"] {
                let rows = try copy.read { db in try db.queryOne("SELECT count(*) FROM \(raw: table)")?.get(at: 0) as Int64? } ?? 0
                counts.append("\(rows) \(table)")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        try FileManager.default.moveItem(atPath: partial, toPath: target)
        return "\(target): \(counts.joined(separator: ", ")), integrity_check ok"
    }
}
