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

/// The durable state of `follow` and `serve`: a SQLite database (GRDB) holding the checkpoints
/// and the live state's rollups — counts per minute and key, open and recent attempts, the
/// incidents, Event objects' highest counts, input counters and errors. A commit writes only
/// what changed since the last one, with the checkpoints, in one transaction, so a `kill -9` at
/// any moment followed by a restart neither loses nor recounts a line.
public final class StateStore: @unchecked Sendable {
    // DatabaseQueue serializes all access; the class holds nothing else mutable.
    private let db: DatabaseQueue
    /// The database file.
    public let path: String
    /// Input errors kept (the counter `errors` counts them all).
    public static let errorLimit = 1000
    /// Migrations this version knows, in order.
    static let migrations = ["v1", "v2-rollups"]

    /// A state database this version cannot read.
    public struct IncompatibleState: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens (creating if needed) `DIR/pullwatch.sqlite`. A database of the first format (every
    /// observation kept) is migrated to rollups; one written by a newer pullwatch is refused.
    ///
    /// `writeAheadLog` (the sink's choice): a commit appends to a log and syncs it once
    /// (synchronous stays FULL: an acknowledged batch survives power loss) where the rollback
    /// journal creates, syncs and deletes a journal file per commit — a sixth of the sink's CPU
    /// under a full outage (60 → 51 s for 2M failure lines). `follow` commits a few times a
    /// second and keeps the rollback journal, which its exactly-once tests were built on.
    public init(directory: String, writeAheadLog: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("pullwatch.sqlite")
        var config = Configuration()
        config.busyMode = .timeout(10)
        if writeAheadLog {
            config.prepareDatabase { db in
                if !db.configuration.readonly { try db.execute(sql: "PRAGMA journal_mode = WAL") }
            }
        }
        db = try DatabaseQueue(path: path, configuration: config)
        let applied = try db.read { db -> [String] in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        }
        if let unknown = applied.first(where: { !Self.migrations.contains($0) }) {
            throw IncompatibleState(description: "\(path): written by a newer pullwatch (state migration '\(unknown)'); "
                                    + "use that version, or move the directory away to start afresh")
        }
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
        migrator.registerMigration("v2-rollups") { db in
            try db.execute(sql: """
                CREATE TABLE count_row (key BLOB PRIMARY KEY, minute INTEGER, n INTEGER NOT NULL);
                CREATE INDEX count_row_minute ON count_row (minute);
                CREATE TABLE open_attempt (key TEXT PRIMARY KEY, json BLOB NOT NULL);
                CREATE TABLE recent_attempt (id INTEGER PRIMARY KEY AUTOINCREMENT, start INTEGER, json BLOB NOT NULL);
                CREATE TABLE deferred_attempt (key TEXT PRIMARY KEY, json BLOB NOT NULL);
                CREATE TABLE incident (key TEXT PRIMARY KEY, json BLOB NOT NULL);
                CREATE TABLE event_high (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last INTEGER);
                """)
            // A first-format database: its observations are replayed into rollups, then dropped.
            var state = LiveState()
            let decoder = JSONDecoder()
            let observations = try Data.fetchAll(db, sql: "SELECT json FROM observation ORDER BY id")
                .map { try decoder.decode(Observation.self, from: $0) }.sorted(by: Observation.ordered)
            for o in observations { state.add(o) }
            state.settle()
            try StateStore.write(&state, to: db)
            try db.execute(sql: "DROP TABLE observation")
        }
        try migrator.migrate(db)
    }

    /// Every checkpoint, by key.
    public func checkpoints() throws -> [String: Checkpoint] {
        try db.read { db in
            var out: [String: Checkpoint] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM checkpoint") {
                let c = Checkpoint(key: row["key"], device: UInt64(row["device"] as Int64), inode: UInt64(row["inode"] as Int64),
                                   offset: UInt64(row["offset"] as Int64), line: row["line"], cursor: row["cursor"],
                                   pending: row["pending"])
                out[c.key] = c
            }
            return out
        }
    }

    /// What one batch read (the failures themselves go into the live state).
    public struct Batch: Sendable {
        public var bytes: UInt64 = 0
        public var lines = 0
        public var records = 0
        public var candidateLines = 0
        public var limitHits = 0
        public var newSources = 0
        public var errors: [InputProblem] = []
        public var checkpoints: [Checkpoint] = []
        /// Failures classified in this batch (event occurrences included), by count key.
        public var failures: [CountKey: Int] = [:]
        public init() {}
        public var isEmpty: Bool {
            bytes == 0 && lines == 0 && errors.isEmpty && checkpoints.isEmpty && newSources == 0 && failures.isEmpty
        }
    }

    /// Adds a batch's counters to the live state and commits both atomically: all of it or none
    /// of it.
    @discardableResult
    public func commit(_ b: Batch, state: inout LiveState) throws -> LiveState.Changes {
        state.input.bytes += b.bytes
        state.input.lines += b.lines
        state.input.records += b.records
        state.input.candidateLines += b.candidateLines
        state.input.limitHits += b.limitHits
        state.input.sources += b.newSources
        let keptErrors = state.input.errors.count
        state.input.errors += b.errors.prefix(max(0, Self.errorLimit - keptErrors))
        let encoder = JSONEncoder()
        return try db.write { db in
            for e in b.errors.prefix(max(0, Self.errorLimit - keptErrors)) {
                try db.execute(sql: "INSERT INTO input_error (json) VALUES (?)", arguments: [try encoder.encode(e)])
            }
            let counters: [(String, Int64)] = [("bytes", Int64(b.bytes)), ("lines", Int64(b.lines)), ("records", Int64(b.records)),
                                               ("candidate_lines", Int64(b.candidateLines)), ("limit_hits", Int64(b.limitHits)),
                                               ("sources", Int64(b.newSources)), ("errors", Int64(b.errors.count))]
            for (name, value) in counters where value != 0 {
                try db.execute(sql: "INSERT INTO counter (name, value) VALUES (?, ?) "
                                   + "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                               arguments: [name, value])
            }
            for c in b.checkpoints {
                try db.execute(sql: """
                    INSERT INTO checkpoint (key, device, inode, offset, line, cursor, pending) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET device = excluded.device, inode = excluded.inode, offset = excluded.offset,
                        line = excluded.line, cursor = excluded.cursor, pending = excluded.pending
                    """, arguments: [c.key, Int64(c.device), Int64(c.inode), Int64(c.offset), c.line, c.cursor, c.pending])
            }
            return try StateStore.write(&state, to: db)
        }
    }

    /// Writes what changed in the live state (prepared statements kept by the connection).
    @discardableResult
    static func write(_ state: inout LiveState, to db: Database) throws -> LiveState.Changes {
        let c = state.takeChanges()
        let encoder = JSONEncoder()
        // The row key must be the same bytes for the same key: sorted JSON keys.
        let keyEncoder = JSONEncoder()
        keyEncoder.outputFormatting = [.sortedKeys]
        for (key, delta) in c.counts where delta != 0 {
            let k = try keyEncoder.encode(key)
            try db.cachedStatement(sql: "INSERT INTO count_row (key, minute, n) VALUES (?, ?, ?) "
                                   + "ON CONFLICT(key) DO UPDATE SET n = n + excluded.n")
                .execute(arguments: [k, key.minute, delta])
            if delta < 0 { try db.cachedStatement(sql: "DELETE FROM count_row WHERE key = ? AND n <= 0").execute(arguments: [k]) }
        }
        for key in c.openWritten {
            if let a = state.open[key] {
                try db.cachedStatement(sql: "INSERT INTO open_attempt (key, json) VALUES (?, ?) "
                                   + "ON CONFLICT(key) DO UPDATE SET json = excluded.json")
                    .execute(arguments: [key, Data(a.jsonBytes())])
            } else {
                try db.cachedStatement(sql: "DELETE FROM open_attempt WHERE key = ?").execute(arguments: [key])
            }
        }
        for a in c.finalized where a.cause != .backoff && a.start != nil {
            try db.cachedStatement(sql: "INSERT INTO recent_attempt (start, json) VALUES (?, ?)")
                .execute(arguments: [a.start, Data(a.jsonBytes())])
        }
        if !c.finalized.isEmpty, let newest = state.newest {
            try db.cachedStatement(sql: "DELETE FROM recent_attempt WHERE start < ?").execute(arguments: [newest - Incidents.indexSpan])
        }
        for a in c.deferredAdded {
            try db.cachedStatement(sql: "INSERT INTO deferred_attempt (key, json) VALUES (?, ?) "
                               + "ON CONFLICT(key) DO UPDATE SET json = excluded.json")
                .execute(arguments: [IncidentBuilder.deferredKey(a), Data(a.jsonBytes())])
        }
        for key in c.deferredPlaced {
            try db.cachedStatement(sql: "DELETE FROM deferred_attempt WHERE key = ?").execute(arguments: [key])
        }
        for key in c.incidentKeys {
            let list = state.builder.incidents(forKey: key)
            if list.isEmpty {
                try db.cachedStatement(sql: "DELETE FROM incident WHERE key = ?").execute(arguments: [key])
            } else {
                try db.cachedStatement(sql: "INSERT INTO incident (key, json) VALUES (?, ?) "
                                   + "ON CONFLICT(key) DO UPDATE SET json = excluded.json")
                    .execute(arguments: [key, try encoder.encode(list)])
            }
        }
        for key in c.events {
            if let e = state.eventHighs[key] {
                try db.cachedStatement(sql: """
                    INSERT INTO event_high (key, count, last) VALUES (?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET count = excluded.count, last = excluded.last
                    """).execute(arguments: [key, e.count, e.lastSeen])
            } else {
                try db.cachedStatement(sql: "DELETE FROM event_high WHERE key = ?").execute(arguments: [key])
            }
        }
        return c
    }

    /// The live state the database holds (for `follow` and `serve` at start, `report`).
    public func load() throws -> LiveState {
        let decoder = JSONDecoder()
        return try db.read { db in
            var input = InputStats()
            for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counter") {
                let name: String = row["name"], value: Int64 = row["value"]
                switch name {
                case "bytes": input.bytes = UInt64(value)
                case "lines": input.lines = Int(value)
                case "records": input.records = Int(value)
                case "candidate_lines": input.candidateLines = Int(value)
                case "limit_hits": input.limitHits = Int(value)
                case "sources": input.sources = Int(value)
                default: break
                }
            }
            input.errors = try Data.fetchAll(db, sql: "SELECT json FROM input_error ORDER BY id")
                .map { try decoder.decode(InputProblem.self, from: $0) }
            var counts: [CountKey: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, n FROM count_row") {
                counts[try decoder.decode(CountKey.self, from: row["key"] as Data), default: 0] += row["n"] as Int
            }
            let open = try Data.fetchAll(db, sql: "SELECT json FROM open_attempt").map { try decoder.decode(AttemptRollup.self, from: $0) }
            let recent = try Data.fetchAll(db, sql: "SELECT json FROM recent_attempt ORDER BY id")
                .map { try decoder.decode(AttemptRollup.self, from: $0) }
            let deferred = try Data.fetchAll(db, sql: "SELECT json FROM deferred_attempt")
                .map { try decoder.decode(AttemptRollup.self, from: $0) }
            var incidents: [IncidentRollup] = []
            for data in try Data.fetchAll(db, sql: "SELECT json FROM incident") {
                incidents += try decoder.decode([IncidentRollup].self, from: data)
            }
            var highs: [String: EventHigh] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, count, last FROM event_high") {
                highs[row["key"]] = EventHigh(count: row["count"], lastSeen: row["last"])
            }
            return LiveState(input: input, counts: counts, open: open, deferred: deferred, incidents: incidents, recent: recent,
                             eventHighs: highs)
        }
    }
}
