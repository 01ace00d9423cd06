import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules
import PullwatchAnalysis
import PullwatchState

/// Where a file seen for the first time starts.
public enum StartPosition: Sendable, Equatable {
    /// Files present when `follow` starts for the first time begin at their end (only new
    /// lines count); files that appear later begin at their beginning. The default.
    case endOfExistingFiles
    /// Every file begins at its beginning (`--from-start`).
    case beginning
}

/// One followed file: its identity, how far it has been consumed, and its decoder.
final class FollowedFile {
    var key: String { "file:\(device):\(inode)" }
    var path: String
    /// FNV-1a of the file's first bytes (up to 256) when first opened: guards a checkpoint
    /// against inode reuse by a different file.
    var fingerprint: UInt64 = 0
    var fingerprintLength = 0
    var fd: Int32 = -1
    var device: UInt64 = 0
    var inode: UInt64 = 0
    /// The framer, which knows how far the file is consumed: every complete line before its
    /// `offset` has been counted, a partial last line is carried until its newline comes.
    let framer: LineFramer
    /// Bytes consumed: every complete line before this offset has been counted.
    var offset: UInt64 { framer.offset }
    /// Lines counted.
    var line: Int { framer.nextLine - 1 }
    var blocks: BlockDecoder
    /// Where an unfinished multi-line JSON value started (line, offset): the checkpoint while
    /// it is open, so a restart decodes it whole.
    var jsonStart: (line: Int, offset: UInt64)?

    init(path: String, decoder: RecordDecoder, gate: LiteralSet?, maxLineBytes: MaxLineBytes) {
        self.path = path
        self.blocks = BlockDecoder(decoder: decoder, gate: gate)
        self.framer = LineFramer(maxLineBytes: maxLineBytes)
    }

    /// Goes on from `offset`, after `line` lines (a checkpoint, a copy, a truncation).
    func seek(offset: UInt64, line: Int) { framer.reset(offset: offset, firstLine: line + 1) }

    deinit { if fd >= 0 { close(fd) } }

    func checkpoint() -> Checkpoint {
        let identity = "\(fingerprintLength):\(fingerprint)"
        if blocks.decoder.hasPendingJSON, let j = jsonStart {
            return Checkpoint(key: key, device: device, inode: inode, offset: j.offset, line: j.line - 1, cursor: identity, pending: nil)
        }
        return Checkpoint(key: key, device: device, inode: inode, offset: offset, line: line, cursor: identity,
                          pending: blocks.decoder.exportPending())
    }

    /// Reads the first bytes of the open file and hashes them.
    func takeFingerprint() {
        var head = [UInt8](repeating: 0, count: 256)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 256, 0) }
        fingerprintLength = max(0, n)
        fingerprint = FollowedFile.hash(head.prefix(fingerprintLength))
    }

    static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// Whether the file still starts with the bytes it started with (false: it was truncated
    /// and written again, perhaps past the old offset). While the fingerprint covers fewer
    /// than 256 bytes it grows with the file.
    func prefixUnchanged(size: UInt64) -> Bool {
        guard fingerprintLength > 0 else {
            if size > 0 { takeFingerprint() }
            return true
        }
        var head = [UInt8](repeating: 0, count: fingerprintLength)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, fingerprintLength, 0) }
        guard n == fingerprintLength, FollowedFile.hash(head[...]) == fingerprint else { return false }
        if fingerprintLength < 256 && size > UInt64(fingerprintLength) { takeFingerprint() }
        return true
    }

    /// Whether the open file still starts with the bytes a checkpoint saw.
    func matches(_ c: Checkpoint) -> Bool {
        guard let parts = c.cursor?.split(separator: ":"), parts.count == 2,
              let length = Int(parts[0]), let hash = UInt64(parts[1]) else { return false }
        var head = [UInt8](repeating: 0, count: max(length, 1))
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, 0) }
        return n == length && FollowedFile.hash(head.prefix(length)) == hash
    }
}

/// Follows files like `tail -F`: through rotation by rename (detected by device + inode; the
/// old file is read to its end before switching), copytruncate (the size shrinks below the
/// consumed offset: start again at 0), and files that appear later. In a followed directory,
/// gzip files (rotated archives, detected by magic bytes) are not read.
public final class FileFollower {
    /// How much of a file is read at a time (one buffer shared by every file).
    public static let readChunk = 1 << 20
    private let maxLineBytes: MaxLineBytes

    private let paths: [String]
    private let options: DecoderOptions
    private var gate: LiteralSet?
    private var files: [String: FollowedFile] = [:]     // by path
    private var checkpoints: [String: Checkpoint]
    private let start: StartPosition
    private var firstPoll = true
    /// Files cut by copytruncate: their fingerprint and how far they had been read, so that
    /// the copy (which may appear after the cut) goes on from there. Bounded to the last 64.
    private var truncated: [(fingerprint: UInt64, length: Int, offset: UInt64, line: Int)] = []
    private let buffer: UnsafeMutableRawBufferPointer

    /// Follows `paths` (files or directories), resuming from `checkpoints`.
    public init(paths: [String], checkpoints: [String: Checkpoint], start: StartPosition,
                options: DecoderOptions, gate: LiteralSet?) {
        self.paths = paths
        self.checkpoints = checkpoints
        self.start = start
        self.options = options
        self.gate = gate
        maxLineBytes = options.maxLineBytes
        buffer = .allocate(byteCount: FileFollower.readChunk, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Replaces the gate (after a rules reload).
    public func setGate(_ gate: LiteralSet?) {
        self.gate = gate
        for f in files.values { f.blocks = BlockDecoder(decoder: f.blocks.decoder, gate: gate) }
    }

    /// The files the paths name right now: files as given; a directory's regular files that
    /// are not gzip (and, when new, have the 2 bytes that tell), in sorted order.
    func currentFiles() -> [String] {
        var out: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else {
                out.append(p)   // may appear later
                continue
            }
            if isDir.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []).sorted()
                for n in names {
                    let full = (p as NSString).appendingPathComponent(n)
                    var d: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue else { continue }
                    // A new file with fewer than 2 bytes cannot be told from a gzip archive
                    // being written (`gzip kubelet.log.1`): it is looked at again next poll.
                    var st = stat()
                    if stat(full, &st) == 0, st.st_size < 2, files["file:\(UInt64(st.st_dev)):\(UInt64(st.st_ino))"] == nil { continue }
                    if !FileFollower.isGzip(full) { out.append(full) }
                }
            } else {
                out.append(p)
            }
        }
        return out
    }

    static func isGzip(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { read(fd, $0.baseAddress, 2) }
        return n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
    }

    /// Reads what is new in every file; records go to `emit`. Fills `batch` with counters and
    /// the checkpoints to commit together with the records. Returns whether anything was read.
    ///
    /// Files are tracked by identity (device + inode), not by name: a file renamed by rotation
    /// (`kubelet.log` → `kubelet.log.1`) is the same file, read on from where it was, and the
    /// new file under the old name is a new file, read from its beginning.
    @discardableResult
    public func poll(into batch: inout StateStore.Batch, emit: (Record) -> Void) -> Bool {
        var progressed = false
        let isFirst = firstPoll
        firstPoll = false
        var seen = Set<String>()
        // Known files first: a truncation must be noticed before its copy is looked at.
        let paths = currentFiles().map { path -> (String, Bool) in
            var st = stat()
            let known = stat(path, &st) == 0 && files["file:\(UInt64(st.st_dev)):\(UInt64(st.st_ino))"] != nil
            return (path, known)
        }.sorted { ($0.1 ? 0 : 1, $0.0) < ($1.1 ? 0 : 1, $1.0) }.map(\.0)
        for path in paths {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let device = UInt64(st.st_dev), inode = UInt64(st.st_ino), size = UInt64(st.st_size)
            let identity = "file:\(device):\(inode)"
            seen.insert(identity)
            let f: FollowedFile
            if let known = files[identity] {
                f = known
                f.path = path
            } else {
                f = FollowedFile(path: path, decoder: RecordDecoder(source: path, options: options), gate: gate,
                                 maxLineBytes: maxLineBytes)
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                f.fd = fd; f.device = device; f.inode = inode
                files[identity] = f
                f.takeFingerprint()
                if let c = checkpoints[identity], c.offset <= size, f.matches(c) {
                    f.seek(offset: c.offset, line: c.line)
                    f.blocks.decoder.importPending(c.pending)
                } else if let original = copied(from: f), !isFirst || !checkpoints.isEmpty || start == .beginning {
                    // copytruncate: this is the copy of a followed file; what was read of the
                    // original is in it too, so go on from there (and read what the original
                    // lost to the truncation). A copy still being written waits for the next poll.
                    if size < original.offset {
                        files[identity] = nil
                        continue
                    }
                    f.seek(offset: original.offset, line: original.line)
                } else if start == .endOfExistingFiles && isFirst && checkpoints.isEmpty {
                    f.seek(offset: size, line: 0)
                }
                batch.newSources += 1
                batch.checkpoints.append(f.checkpoint())
            }
            if size < f.framer.fedOffset || !f.prefixUnchanged(size: size) {
                // copytruncate: the file was cut (and maybe written again); start again at 0.
                truncated.append((f.fingerprint, f.fingerprintLength, f.offset, f.line))
                if truncated.count > 64 { truncated.removeFirst() }
                f.seek(offset: 0, line: 0)
                f.takeFingerprint()
                batch.checkpoints.append(f.checkpoint())
            }
            progressed = drain(f, into: &batch, emit: emit) || progressed
        }
        // Files no longer under any followed name (renamed away, deleted): read to their end,
        // then let them go.
        for (identity, f) in files where !seen.contains(identity) {
            progressed = drain(f, into: &batch, emit: emit, final: true) || progressed
            f.blocks.decoder.finish(emit: emit)
            files[identity] = nil
        }
        return progressed
    }

    /// A followed file (or checkpoint) this new file is a copy of: same first bytes.
    private func copied(from f: FollowedFile) -> (offset: UInt64, line: Int)? {
        guard f.fingerprintLength > 0 else { return nil }
        for other in files.values where other !== f && other.fingerprint == f.fingerprint
            && other.fingerprintLength == f.fingerprintLength {
            return (other.offset, other.line)
        }
        if let t = truncated.last(where: { $0.fingerprint == f.fingerprint && $0.length == f.fingerprintLength }) {
            return (t.offset, t.line)
        }
        let mark = "\(f.fingerprintLength):\(f.fingerprint)"
        if let c = checkpoints.values.first(where: { $0.cursor == mark && $0.key != f.key }) { return (c.offset, c.line) }
        return nil
    }

    /// Reads from where the framer stands to the end of the file, decoding complete lines (and,
    /// when the file is `final` — renamed away or deleted — its last line without a newline).
    private func drain(_ f: FollowedFile, into batch: inout StateStore.Batch, emit: (Record) -> Void, final: Bool = false) -> Bool {
        let framer = f.framer
        let before = (offset: framer.offset, line: framer.nextLine, stats: framer.stats)
        var records = 0
        var summary = IngestSummary()
        func process(_ block: LineBlock) {
            f.blocks.process(block, summary: &summary) { r in records += 1; emit(r) }
            noteJSONStart(f, block)
        }
        var read = false
        while true {
            let n = pread(f.fd, buffer.baseAddress, buffer.count, off_t(framer.fedOffset))
            guard n > 0 else { break }
            read = true
            framer.feed(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n), process)
            if n < buffer.count { break }
        }
        if final { framer.finish(process) }
        guard read || framer.offset != before.offset else { return false }
        batch.bytes += framer.offset - before.offset
        batch.lines += framer.nextLine - before.line
        batch.records += records
        batch.candidateLines += summary.decodedLines
        batch.errors += (summary.errors + f.blocks.decoder.takeErrors()).map(InputProblem.init)
        batch.checkpoints.removeAll { $0.key == f.key }
        batch.checkpoints.append(f.checkpoint())
        return true
    }

    /// Remembers where an unfinished multi-line JSON value began (its line's offset), so the
    /// checkpoint while it is open lets a restart decode it whole.
    private func noteJSONStart(_ f: FollowedFile, _ block: LineBlock) {
        guard f.blocks.decoder.hasPendingJSON else { f.jsonStart = nil; return }
        let startLine = f.blocks.decoder.pendingJSONStartLine
        guard startLine >= block.firstLineNumber, (f.jsonStart?.line ?? 0) != startLine,
              let base = block.bytes.baseAddress else { return }
        var at = 0
        for _ in 0..<(startLine - block.firstLineNumber) {
            guard let nl = memchr(base + at, 0x0A, block.bytes.count - at) else { break }
            at = UnsafeRawPointer(nl) - base + 1
        }
        f.jsonStart = (startLine, block.offset + UInt64(at))
    }
}
