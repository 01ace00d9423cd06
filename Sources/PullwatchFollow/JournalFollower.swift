import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchState
import PullwatchAnalysis

/// Counts `journalctl -o json` output: one JSON object per line, from `journalctl -f` run by
/// pullwatch or from standard input. The checkpoint is the cursor (opaque) and realtime
/// newest realtime timestamp counted. On resume, entries are skipped until the saved cursor
/// passes (a journalctl that replays recent entries, its default `-n 10`, recounts nothing),
/// or until an entry newer than anything counted shows up (the replay did not reach back to
/// the cursor: nothing is lost).
public final class JournalFollower {
    public static let key = "journal"
    private var decoder: RecordDecoder
    /// The decoder behind the rules' literal gate, as in scan and file follow.
    private var blocks: BlockDecoder
    /// The same framer as every other source: lines, the length limit and what it cuts.
    private let framer: LineFramer
    private var cursor: String?
    private var realtime: Int64 = 0
    private let resumeCursor: String?
    private let resumeRealtime: Int64
    private var resumed: Bool

    /// Resumes after `checkpoint` (if any).
    public init(checkpoint: Checkpoint?, options: DecoderOptions, gate: LiteralSet? = nil) {
        decoder = RecordDecoder(source: "journal", options: options)
        framer = LineFramer(maxLineBytes: options.maxLineBytes)
        blocks = BlockDecoder(decoder: decoder, gate: gate)
        resumeCursor = checkpoint?.cursor
        resumeRealtime = Int64(checkpoint?.offset ?? 0)
        resumed = checkpoint == nil
        cursor = checkpoint?.cursor
        realtime = resumeRealtime
    }

    /// Swaps the gate (rules reloaded).
    public func setGate(_ gate: LiteralSet?) { blocks = BlockDecoder(decoder: decoder, gate: gate) }

    /// The cursor to pass to `journalctl --after-cursor`, if one was saved.
    public var afterCursor: String? { resumeCursor }

    /// Feeds output bytes; complete lines are counted into `batch`, records go to `emit`.
    public func feed(_ bytes: UnsafeRawBufferPointer, into batch: inout StateStore.Batch, emit: (Record) -> Void) {
        let before = (lines: framer.stats.lines, offset: framer.offset)
        framer.feed(bytes) { block in
            block.forEachLine { handle($0, into: &batch, emit: emit) }
        }
        guard framer.stats.lines > before.lines else { return }
        batch.lines += framer.stats.lines - before.lines
        batch.bytes += framer.offset - before.offset
        batch.checkpoints.removeAll { $0.key == JournalFollower.key }
        batch.checkpoints.append(Checkpoint(key: JournalFollower.key, offset: UInt64(max(realtime, 0)), line: framer.nextLine - 1,
                                            cursor: cursor))
    }

    /// Lines cut to the length limit so far (journal entries over `--max-line-bytes`).
    public var truncatedLines: Int { framer.stats.truncatedLines }

    private func handle(_ line: Line, into batch: inout StateStore.Batch, emit: (Record) -> Void) {
        let raw = line.bytes
        let entryCursor = JournalFollower.stringField("__CURSOR", in: raw)
        let entryRealtime = JournalFollower.stringField("__REALTIME_TIMESTAMP", in: raw).flatMap { Int64($0) }
        if !resumed {
            // Skip what the checkpoint already counted (journalctl may replay it).
            if let c = entryCursor, c == resumeCursor { resumed = true; return }
            if let t = entryRealtime, t <= resumeRealtime { return }
            resumed = true
        }
        if let c = entryCursor { cursor = c }
        if let t = entryRealtime { realtime = max(realtime, t) }
        var records = 0
        var summary = IngestSummary()
        blocks.process(LineBlock(bytes: raw, firstLineNumber: line.number, lineCount: 1, truncated: line.truncated),
                       summary: &summary) { r in
            records += 1; emit(r)
        }
        batch.records += records
        batch.candidateLines += summary.decodedLines
        batch.errors += summary.errors.map(InputProblem.init)
        batch.errors += decoder.takeErrors().map(InputProblem.init)
    }

    /// The string value of a top-level `"name":"value"` in a journal JSON line (no escapes in
    /// cursors and timestamps, so no JSON parsing is needed).
    static func stringField(_ name: String, in line: UnsafeRawBufferPointer) -> String? {
        let key = Array("\"\(name)\":\"".utf8)
        guard let at = key.withUnsafeBytes({ ByteSearch.find($0, in: line) }) else { return nil }
        let from = at + key.count
        guard let end = line[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: line[from..<end], as: UTF8.self)
    }

    /// The `journalctl` arguments: JSON, follow, the units, and where to start.
    public static func arguments(units: [String], afterCursor: String?, fromStart: Bool, file: String?, directory: String?) -> [String] {
        var args = ["--follow", "--output=json", "--no-pager", "--all"]
        for u in units { args += ["--unit", u] }
        if let file { args += ["--file", file] }
        if let directory { args += ["--directory", directory] }
        // With --follow, journalctl shows only its last 10 entries unless told otherwise, even
        // after a cursor: always say how many.
        if let afterCursor {
            args += ["--after-cursor", afterCursor, "--lines", "all"]
        } else {
            args += ["--lines", fromStart ? "all" : "0"]
        }
        return args
    }
}
