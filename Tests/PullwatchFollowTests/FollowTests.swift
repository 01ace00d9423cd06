import Testing
import Foundation
import PullwatchAnalysis
import PullwatchFollow
import PullwatchIO
import PullwatchRecords
import PullwatchRules
import PullwatchState
import PullwatchTestSupport

let rules = try! RuleSet.load()

@Suite struct IncidentEventTests {
    let minute: Int64 = 60_000_000_000

    @Test func openedThenRateLimitedUpdatesThenResolved() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t0: Int64 = 1_800_000_000   // seconds
        let now0 = t0 * 1_000_000_000
        let live = try LiveAggregator(store: store, rules: rules, now: now0)
        var batch = StateStore.Batch()
        live.add(record(failure, at: t0), to: &batch)
        let opened = try live.commit(&batch, now: now0)
        #expect(opened.map(\.kind) == [.opened])
        #expect(opened.first?.incident.cause == .tagNotFound)

        // More failures 10 s later: no update yet (at most one per 30 s).
        live.add(record(failure, at: t0 + 10), to: &batch)
        #expect(try live.commit(&batch, now: now0 + 10_000_000_000).isEmpty)
        // 40 s after the open: one update with the new count.
        live.add(record(failure, at: t0 + 40), to: &batch)
        let updated = try live.commit(&batch, now: now0 + 40_000_000_000)
        #expect(updated.map(\.kind) == [.updated])
        #expect(updated.first?.incident.records == 3)
        // Quiet for more than 30 minutes: resolved, once.
        let resolved = try live.commit(&batch, now: now0 + 40_000_000_000 + 31 * minute)
        #expect(resolved.map(\.kind) == [.resolved])
        #expect(try live.commit(&batch, now: now0 + 40 * minute).isEmpty)
    }

    @Test func aRestartDoesNotReopenKnownIncidents() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t0: Int64 = 1_800_000_000
        let live = try LiveAggregator(store: store, rules: rules, now: t0 * 1_000_000_000)
        var batch = StateStore.Batch()
        live.add(record(failure, at: t0), to: &batch)
        #expect(try live.commit(&batch, now: t0 * 1_000_000_000).count == 1)
        let again = try LiveAggregator(store: store, rules: rules, now: (t0 + 5) * 1_000_000_000)
        #expect(try again.commit(&batch, now: (t0 + 5) * 1_000_000_000).isEmpty)
    }

    @Test func anIncidentFirstSeenAlreadyQuietIsAnnouncedResolved() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t0: Int64 = 1_800_000_000
        // `follow --from-start` over this morning's log: the failures are hours old.
        let now = (t0 + 4 * 3600) * 1_000_000_000
        let live = try LiveAggregator(store: store, rules: rules, now: now)
        var batch = StateStore.Batch()
        live.add(record(failure, at: t0), to: &batch)
        live.add(record(failure, at: t0 + 600), to: &batch)
        let events = try live.commit(&batch, now: now)
        #expect(events.map(\.kind) == [.resolved])
        #expect(events.first?.incident.firstSeen == t0 * 1_000_000_000 && events.first?.incident.lastSeen == (t0 + 600) * 1_000_000_000)
        #expect(try live.commit(&batch, now: now + 20_000_000_000).isEmpty)
    }
}

@Suite struct JournalFollowerTests {
    @Test func resumesAfterTheCursorWithoutRecounting() {
        func entry(_ i: Int) -> String {
            #"{"__CURSOR":"s=x;i=\#(i)","__REALTIME_TIMESTAMP":"\#(1_800_000_000_000_000 + i)","_HOSTNAME":"n","#
                + #""SYSLOG_IDENTIFIER":"kubelet","MESSAGE":"E1122 10:00:00.000000 1 x.go:1] \"Failed to pull image\" "#
                + #"err=\"not found\" image=\"x:\#(i)\""}"#
        }
        let all = (1...10).map(entry).joined(separator: "\n") + "\n"
        var batch = StateStore.Batch()
        let first = JournalFollower(checkpoint: nil, options: DecoderOptions())
        var n1 = 0
        Array(all.utf8.prefix(all.utf8.count / 2)).withUnsafeBytes { first.feed($0, into: &batch) { _ in n1 += 1 } }
        let checkpoint = batch.checkpoints.last
        #expect(checkpoint?.cursor != nil && n1 > 0 && n1 < 10)
        // A replay from the start (journalctl -n all) after a restart: only the rest counts.
        let second = JournalFollower(checkpoint: checkpoint, options: DecoderOptions())
        var n2 = 0
        Array(all.utf8).withUnsafeBytes { second.feed($0, into: &batch) { _ in n2 += 1 } }
        #expect(n1 + n2 == 10)
    }

    @Test func argumentsResumeWithEveryEntryAfterTheCursor() {
        #expect(JournalFollower.arguments(units: ["kubelet"], afterCursor: "c", fromStart: false, file: nil, directory: nil)
                == ["--follow", "--output=json", "--no-pager", "--all", "--unit", "kubelet", "--after-cursor", "c", "--lines", "all"])
        #expect(JournalFollower.arguments(units: [], afterCursor: nil, fromStart: false, file: "/j", directory: nil).suffix(4)
                == ["--file", "/j", "--lines", "0"])
    }
}

@Suite struct FileFollowerTests {
    @Test func aGzipArchiveFirstSeenEmptyIsNeverReadAsText() throws {
        let dir = NSTemporaryDirectory() + "pullwatch-follow-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let follower = FileFollower(paths: [dir], checkpoints: [:], start: .beginning, options: DecoderOptions(), gate: rules.gate.search)
        // `gzip kubelet.log.1` has created its output but not written it yet.
        let archive = dir + "/kubelet.log.1.gz"
        FileManager.default.createFile(atPath: archive, contents: Data())
        var batch = StateStore.Batch()
        follower.poll(into: &batch) { _ in }
        let text = (1...2000).map { "line \($0) \(failure)" }.joined(separator: "\n") + "\n"
        try Data(GzipCompressor.compress(Array(text.utf8))).write(to: URL(fileURLWithPath: archive))
        var records = 0
        follower.poll(into: &batch) { _ in records += 1 }
        follower.poll(into: &batch) { _ in records += 1 }
        #expect(records == 0 && batch.lines == 0)
        // A text file that starts empty is read once it has lines.
        let log = dir + "/kubelet.log"
        FileManager.default.createFile(atPath: log, contents: Data())
        follower.poll(into: &batch) { _ in records += 1 }
        try Data((failure + "\n").utf8).write(to: URL(fileURLWithPath: log))
        follower.poll(into: &batch) { _ in records += 1 }
        #expect(batch.lines == 1 && records == 1)
    }
}

/// The shared framer verifier (PullwatchTestSupport) over follow's two sources: a followed
/// file written in chunks and polled after each, and journalctl's output fed in chunks.
@Suite struct FollowFramingTests {
    @Test func aFollowedFileFramesAsTheModelWhateverTheWrites() throws {
        let limit = 200
        let input = FramerVerifier.sampleInput(lines: 200, limit: limit, seed: 5)
        // A record says nothing of the cut (the framer's stats do).
        let expected = FramerVerifier.expected(input, limit: limit).map {
            FramedLine(bytes: $0.bytes, number: $0.number, truncated: false)
        }
        let problems = try FramerVerifier.verify(input, expected: expected) { chunks in
            let dir = NSTemporaryDirectory() + "pullwatch-frame-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/kubelet.log"
            _ = FileManager.default.createFile(atPath: path, contents: Data())
            let follower = FileFollower(paths: [path], checkpoints: [:], start: .beginning,
                                        options: DecoderOptions(maxLineBytes: MaxLineBytes(limit)), gate: nil)
            var out: [FramedLine] = []
            var batch = StateStore.Batch()
            let collect: (Record) -> Void = { out.append(FramedLine(bytes: Array($0.message.utf8), number: $0.line, truncated: false)) }
            let handle = try #require(FileHandle(forWritingAtPath: path))
            for c in chunks {
                handle.write(Data(c))
                follower.poll(into: &batch, emit: collect)
            }
            try handle.close()
            // The last line has no newline: it counts once the file is rotated away.
            try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
            follower.poll(into: &batch, emit: collect)
            #expect(batch.bytes == UInt64(input.count))
            return out
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func journalOutputFramesTheSameWhateverTheChunks() {
        func entry(_ i: Int, _ message: String) -> String {
            #"{"__CURSOR":"s=x;i=\#(i)","__REALTIME_TIMESTAMP":"\#(1_800_000_000_000_000 + i)","_HOSTNAME":"n","#
                + #""SYSLOG_IDENTIFIER":"kubelet","MESSAGE":"\#(message)"}"#
        }
        let messages = FramerVerifier.expected(FramerVerifier.sampleInput(lines: 300, limit: 500, seed: 9), limit: 500, dropEmpty: true)
        let input = Array(messages.enumerated().map { entry($0.offset, String(decoding: $0.element.bytes, as: UTF8.self)) }
            .joined(separator: "\n").utf8) + [0x0A]
        let problems = FramerVerifier.verify(input, expected: nil) { chunks in
            let follower = JournalFollower(checkpoint: nil, options: DecoderOptions())
            var out: [FramedLine] = []
            var batch = StateStore.Batch()
            for c in chunks {
                c.withUnsafeBytes {
                    follower.feed($0, into: &batch) { r in
                        out.append(FramedLine(bytes: Array(r.message.utf8), number: r.line, truncated: false))
                    }
                }
            }
            #expect(batch.lines == messages.count && batch.bytes == UInt64(input.count))
            return out
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func anOverlongJournalEntryIsCutAndCountedAsInScan() {
        let follower = JournalFollower(checkpoint: nil, options: DecoderOptions(maxLineBytes: MaxLineBytes(100)))
        var batch = StateStore.Batch()
        let long = #"{"__CURSOR":"a","MESSAGE":""# + String(repeating: "x", count: 500) + "\"}\n"
        let ok = #"{"__CURSOR":"b","__REALTIME_TIMESTAMP":"1800000000000000","MESSAGE":"fine"}"# + "\n"
        var messages: [String] = []
        Array((long + ok).utf8).withUnsafeBytes { follower.feed($0, into: &batch) { messages.append($0.message) } }
        #expect(follower.truncatedLines == 1)
        #expect(batch.lines == 2)
        #expect(messages.contains("fine"))
    }
}
