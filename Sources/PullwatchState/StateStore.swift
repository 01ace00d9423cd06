import Foundation
import GRDB
import PullwatchAnalysis

/// Where a followed source stands: its identity and the offset up to which every line has
/// been counted (or, for the journal, the cursor of the last entry counted), plus decoder
/// state that spans that point (CRI/Docker partial lines).
public struct Checkpoint: Codable, Sendable, Equatable {
    /// `file:PATH` or `journal`.
    public var key: String
    public var device: UInt64
    public var inode: UInt64
    /// Bytes of the file consumed: every complete line before it is counted.
    public var offset: UInt64
    /// Lines consumed (for error messages after a restart).
    public var line: Int
    /// The journal cursor of the last entry counted.
    public var cursor: String?
    /// Decoder state carried across the checkpoint (opaque to the store).
    public var pending: Data?

    public init(key: String, device: UInt64 = 0, inode: UInt64 = 0, offset: UInt64 = 0, line: Int = 0,
                cursor: String? = nil, pending: Data? = nil) {
        self.key = key; self.device = device; self.inode = inode; self.offset = offset
        self.line = line; self.cursor = cursor; self.pending = pending
    }
}

/// The durable state of `follow` (and later `serve`): a SQLite database (GRDB) holding the
/// checkpoints and the aggregate. Observations, counters and checkpoints are written in one
/// transaction, so a `kill -9` at any moment followed by a restart neither loses nor
/// recounts a line: what was committed is counted and the checkpoint says where it ended.
public final class StateStore: @unchecked Sendable {
    // DatabaseQueue serializes all access; the class holds nothing else mutable.
    private let db: DatabaseQueue
    /// The database file.
    public let path: String

    /// Opens (creating if needed) `DIR/pullwatch.sqlite`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("pullwatch.sqlite")
        var config = Configuration()
        config.busyMode = .timeout(10)
        db = try DatabaseQueue(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE checkpoint (key TEXT PRIMARY KEY, device INTEGER NOT NULL, inode INTEGER NOT NULL,
                                         offset INTEGER NOT NULL, line INTEGER NOT NULL, cursor TEXT, pending BLOB);
                CREATE TABLE observation (id INTEGER PRIMARY KEY AUTOINCREMENT, json BLOB NOT NULL);
                CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE input_error (id INTEGER PRIMARY KEY AUTOINCREMENT, json BLOB NOT NULL);
                """)
        }
        try migrator.migrate(db)
    }

    /// Every checkpoint, by key.
    public func checkpoints() throws -> [String: Checkpoint] {
        try db.read { db in
            var out: [String: Checkpoint] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM checkpoint") {
                let c = Checkpoint(key: row["key"], device: UInt64(row["device"] as Int64), inode: UInt64(row["inode"] as Int64),
                                   offset: UInt64(row["offset"] as Int64), line: row["line"], cursor: row["cursor"], pending: row["pending"])
                out[c.key] = c
            }
            return out
        }
    }

    /// What one batch adds.
    public struct Batch: Sendable {
        public var observations: [Observation] = []
        public var bytes: UInt64 = 0
        public var lines = 0
        public var records = 0
        public var candidateLines = 0
        public var limitHits = 0
        public var newSources = 0
        public var errors: [InputProblem] = []
        public var checkpoints: [Checkpoint] = []
        public init() {}
        public var isEmpty: Bool {
            observations.isEmpty && bytes == 0 && lines == 0 && errors.isEmpty && checkpoints.isEmpty && newSources == 0
        }
    }

    /// Commits a batch atomically: all of it or none of it.
    public func commit(_ b: Batch) throws {
        guard !b.isEmpty else { return }
        let encoder = JSONEncoder()
        try db.write { db in
            for o in b.observations {
                try db.execute(sql: "INSERT INTO observation (json) VALUES (?)", arguments: [try encoder.encode(o)])
            }
            for e in b.errors {
                try db.execute(sql: "INSERT INTO input_error (json) VALUES (?)", arguments: [try encoder.encode(e)])
            }
            let counters: [(String, Int64)] = [("bytes", Int64(b.bytes)), ("lines", Int64(b.lines)), ("records", Int64(b.records)),
                                               ("candidate_lines", Int64(b.candidateLines)), ("limit_hits", Int64(b.limitHits)),
                                               ("sources", Int64(b.newSources))]
            for (name, value) in counters where value != 0 {
                try db.execute(sql: "INSERT INTO counter (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                               arguments: [name, value])
            }
            for c in b.checkpoints {
                try db.execute(sql: """
                    INSERT INTO checkpoint (key, device, inode, offset, line, cursor, pending) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET device = excluded.device, inode = excluded.inode, offset = excluded.offset,
                        line = excluded.line, cursor = excluded.cursor, pending = excluded.pending
                    """, arguments: [c.key, Int64(c.device), Int64(c.inode), Int64(c.offset), c.line, c.cursor, c.pending])
            }
        }
    }

    /// Everything counted so far, as an aggregate (for `report`, `/v1/report`).
    public func aggregate() throws -> Aggregate {
        let decoder = JSONDecoder()
        return try db.read { db in
            var a = Aggregate()
            for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counter") {
                let name: String = row["name"], value: Int64 = row["value"]
                switch name {
                case "bytes": a.input.bytes = UInt64(value)
                case "lines": a.input.lines = Int(value)
                case "records": a.input.records = Int(value)
                case "candidate_lines": a.input.candidateLines = Int(value)
                case "limit_hits": a.input.limitHits = Int(value)
                case "sources": a.input.sources = Int(value)
                default: break
                }
            }
            a.observations = try Data.fetchAll(db, sql: "SELECT json FROM observation ORDER BY id").map { try decoder.decode(Observation.self, from: $0) }
            a.input.errors = try Data.fetchAll(db, sql: "SELECT json FROM input_error ORDER BY id").map { try decoder.decode(InputProblem.self, from: $0) }
            return a
        }
    }
}
