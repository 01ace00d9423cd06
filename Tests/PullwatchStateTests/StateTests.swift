import Testing
import Foundation
import PullwatchAnalysis
import PullwatchFollow
import PullwatchIO
import PullwatchRecords
import PullwatchRules
import PullwatchState
import PullwatchTestSupport
import PullwatchReport
import class GRDB.DatabaseQueue

let rules = try! RuleSet.load()

@Suite struct StateStoreTests {
    @Test func batchesCommitAtomicallyAndSurviveReopening() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var batch = StateStore.Batch()
        batch.lines = 10; batch.bytes = 1000; batch.newSources = 1
        let c = Classification(cause: .tagNotFound, ruleID: "r", image: "nginx:1.99")
        batch.checkpoints = [Checkpoint(key: "file:1:2", device: 1, inode: 2, offset: 1000, line: 10, cursor: "f", pending: Data([1, 2]))]
        var state = try store.load()
        state.add(Observation(record: record(failure, at: 100), classification: c))
        try store.commit(batch, state: &state)
        state.add(Observation(record: record(failure, at: 200), classification: c))
        try store.commit(batch, state: &state)
        let reopened = try StateStore(directory: dir)
        let a = try reopened.load()
        #expect(a.input.lines == 20 && a.input.bytes == 2000 && a.input.sources == 2)
        #expect(a.counts.values.reduce(0, +) == 2)
        #expect(a.incidents().map(\.attempts) == [2])
        #expect(try reopened.checkpoints()["file:1:2"] == batch.checkpoints[0])
    }
}

@Suite struct LiveStateTests {
    let minute: Int64 = 60_000_000_000
    let c = Classification(cause: .tagNotFound, ruleID: "r", image: "nginx:1.99")

    @Test func whatIsCommittedReloadsAsTheSameReport() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var state = try store.load()
        var image = 0
        for t in stride(from: Int64(1_800_000_000), to: 1_800_000_000 + 3 * 3600, by: 7) {
            image = (image + 1) % 5
            let cl = Classification(cause: image == 0 ? .backoff : .tagNotFound, ruleID: "r", image: "nginx:1.\(image)")
            state.add(Observation(record: record(failure, at: t), classification: cl))
            if t % 70 == 0 {
                state.settle()
                try store.commit(StateStore.Batch(), state: &state)
            }
        }
        state.settle()
        try store.commit(StateStore.Batch(), state: &state)
        let reloaded = try StateStore(directory: dir).load()
        #expect(JSONReportText(reloaded.report(rules: rules)) == JSONReportText(state.report(rules: rules)))
        #expect(reloaded.open.count <= 5)
    }

    @Test func retentionForgetsOldCountsAndIncidents() {
        var state = LiveState()
        state.add(Observation(record: record(failure, at: 1_800_000_000), classification: c))
        state.add(Observation(record: record(failure, at: 1_800_000_000 + 20 * 86_400), classification: c))
        state.settle()
        state.expire(before: (1_800_000_000 + 14 * 86_400) * 1_000_000_000)
        let r = state.report(rules: rules)
        #expect(r.failures.total == 1 && r.incidents.count == 1)
    }

    @Test func aFirstFormatDatabaseIsMigratedByReplayingItsObservations() throws {
        let dir = NSTemporaryDirectory() + "pullwatch-state-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/pullwatch.sqlite"
        let o = try String(decoding: JSONEncoder().encode(Observation(record: record(failure, at: 100), classification: c)), as: UTF8.self)
        let sql = """
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1');
            CREATE TABLE checkpoint (key TEXT PRIMARY KEY, device INTEGER NOT NULL, inode INTEGER NOT NULL,
                                     offset INTEGER NOT NULL, line INTEGER NOT NULL, cursor TEXT, pending BLOB);
            CREATE TABLE observation (id INTEGER PRIMARY KEY AUTOINCREMENT, json BLOB NOT NULL);
            CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE input_error (id INTEGER PRIMARY KEY AUTOINCREMENT, json BLOB NOT NULL);
            INSERT INTO counter VALUES ('lines', 7);
            INSERT INTO observation (json) VALUES ('\(o)'), ('\(o)');
            """
        try runSQLite(path, sql)
        let state = try StateStore(directory: dir).load()
        #expect(state.input.lines == 7)
        #expect(state.report(rules: rules).failures.byCause == ["tag_not_found": 2])
    }

    @Test func aDatabaseOfANewerVersionIsRefused() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = store
        try runSQLite(dir + "/pullwatch.sqlite", "INSERT INTO grdb_migrations VALUES ('v9-future');")
        #expect(throws: StateStore.IncompatibleState.self) { try StateStore(directory: dir) }
    }
}

/// The JSON report text (to compare reports).
func JSONReportText(_ r: Report) -> String { JSONReport.render(r) }

/// Runs SQL on a database file with GRDB (as an older pullwatch or a newer one would have).
func runSQLite(_ path: String, _ sql: String) throws {
    let q = try DatabaseQueue(path: path)
    try q.write { try $0.execute(sql: sql) }
}
