import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line as a view into the framer's buffer: valid only inside the callback.
public struct Line {
    /// The line's bytes without the `\n` (and without a `\r` before it).
    public let bytes: UnsafeRawBufferPointer
    /// 1-based line number in its stream.
    public let number: Int
    /// True when the line was longer than `MaxLineBytes` and was cut.
    public let truncated: Bool

    /// A line view (for decoders fed from elsewhere than a framer, e.g. tests or HTTP bodies).
    @inlinable public init(bytes: UnsafeRawBufferPointer, number: Int, truncated: Bool = false) {
        self.bytes = bytes
        self.number = number
        self.truncated = truncated
    }
}

/// A run of complete lines as one contiguous view, so later stages may search the whole
/// block at once (the gate) before looking at individual lines.
public struct LineBlock {
    /// The bytes of whole lines, each ending in `\n` except possibly the stream's last one.
    public let bytes: UnsafeRawBufferPointer
    /// The number of the block's first line.
    public let firstLineNumber: Int
    /// How many lines the block holds.
    public let lineCount: Int
    /// True for a block holding the kept head of one over-long line.
    public let truncated: Bool
    /// Where the block's first byte is in its stream (0 when the source does not say).
    public let offset: UInt64

    /// A block view.
    @inlinable public init(bytes: UnsafeRawBufferPointer, firstLineNumber: Int, lineCount: Int, truncated: Bool,
                           offset: UInt64 = 0) {
        self.bytes = bytes
        self.firstLineNumber = firstLineNumber
        self.lineCount = lineCount
        self.truncated = truncated
        self.offset = offset
    }

    /// Calls `body` for each line of the block in order.
    @inlinable
    public func forEachLine(_ body: (Line) throws -> Void) rethrows {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        var number = firstLineNumber
        let end = bytes.count
        while start < end {
            let remaining = end - start
            let nl = memchr(base + start, 0x0A, remaining)
            var lineEnd = nl.map { UnsafeRawPointer($0) - base } ?? end
            let next = lineEnd + 1
            if lineEnd > start && base.load(fromByteOffset: lineEnd - 1, as: UInt8.self) == 0x0D { lineEnd -= 1 }
            try body(Line(bytes: UnsafeRawBufferPointer(start: base + start, count: lineEnd - start),
                          number: number, truncated: truncated))
            number += 1
            start = next
        }
    }
}

/// Counters of what framing saw and what it had to drop.
public struct FramingStats: Sendable, Equatable {
    /// Lines delivered (a truncated line counts once).
    public var lines = 0
    /// Bytes read from the (decompressed) stream.
    public var bytes: UInt64 = 0
    /// Lines longer than the limit, delivered cut.
    public var truncatedLines = 0
    /// Bytes dropped from over-long lines.
    public var skippedBytes: UInt64 = 0

    /// No lines yet.
    public init() {}
}

/// Splits a byte stream into lines, incrementally: `feed` it bytes as they come (a file read,
/// an HTTP body chunk, a pipe), `finish` at the end of the stream. The one framer of every
/// mode — scan, follow (files and the journal), serve and records — so line numbers, the
/// line-length limit and what it skips are the same whatever the source and the chunking.
///
/// Complete lines are handed on in place, as blocks of the caller's bytes (no copy, no
/// per-line allocation); only a line split across two feeds is carried over, in a buffer
/// that grows to at most `maxLineBytes` + 1. A line longer than the limit is cut: its first
/// `maxLineBytes` bytes are delivered (marked truncated), the rest up to the next newline is
/// skipped and counted. `offset` is the stream position after the last line delivered or
/// skipped: a checkpoint there resumes at the start of the first unfinished line.
public final class LineFramer {
    /// The line-length policy in force.
    public let maxLineBytes: MaxLineBytes
    /// What this framer has seen so far.
    public private(set) var stats = FramingStats()
    /// The stream position of the first byte not yet delivered or skipped (the checkpoint).
    public private(set) var offset: UInt64
    /// The number the next line delivered gets.
    public private(set) var nextLine: Int
    /// The stream position of the next byte to feed: `offset` plus the carried partial line.
    public var fedOffset: UInt64 { offset + UInt64(carried) }
    /// Bytes of an unfinished line held since the last feed.
    public var carried: Int { carryCount }

    private var carry: UnsafeMutableRawBufferPointer?
    private var carryCount = 0
    /// The rest of an over-long line is being skipped, up to its newline.
    private var skipping = false
    /// `frame(_:)`'s read buffer, allocated on first use.
    private var readBuffer: UnsafeMutableRawBufferPointer?

    /// How much `frame(_:)` reads at a time.
    public static let readChunk = 1 << 20

    /// The largest block `frame(_:)` delivers: a read's worth of lines, or one carried line.
    public var maxBlockBytes: Int { max(LineFramer.readChunk, maxLineBytes.bytes + 1) }

    /// A framer keeping at most `maxLineBytes` of each line; the stream starts at `offset`
    /// with line number `firstLine` (a resumed file).
    public init(maxLineBytes: MaxLineBytes = .default, offset: UInt64 = 0, firstLine: Int = 1) {
        self.maxLineBytes = maxLineBytes
        self.offset = offset
        self.nextLine = firstLine
    }

    deinit {
        carry?.deallocate()
        readBuffer?.deallocate()
    }

    /// Starts over at `offset` with line number `firstLine`, dropping a carried partial line
    /// (a file cut by copytruncate). The counters go on.
    public func reset(offset: UInt64, firstLine: Int) {
        self.offset = offset
        nextLine = firstLine
        carryCount = 0
        skipping = false
    }

    /// Frames the next bytes of the stream: calls `body` with each block of complete lines in
    /// them (and with the line carried over from the previous feed, once its newline comes).
    public func feed(_ bytes: UnsafeRawBufferPointer, _ body: (LineBlock) throws -> Void) rethrows {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let n = bytes.count
        let limit = maxLineBytes.bytes
        let start = fedOffset            // stream position of bytes[0]
        stats.bytes += UInt64(n)
        var p = 0
        if skipping {
            guard let nl = memchr(base, 0x0A, n) else {
                stats.skippedBytes += UInt64(n)
                offset += UInt64(n)
                return
            }
            p = UnsafeRawPointer(nl) - base + 1
            stats.skippedBytes += UInt64(p - 1)
            offset += UInt64(p)
            skipping = false
        }
        if carryCount > 0 {
            let nl = memchr(base + p, 0x0A, n - p).map { UnsafeRawPointer($0) - base }
            let piece = (nl ?? n) - p                 // bytes of the carried line in this feed
            if carryCount + piece > limit {
                // Over the limit: deliver its head, skip the rest (to the newline, if here).
                stats.skippedBytes += UInt64(carryCount + piece - limit)
                append(base + p, min(piece, limit - carryCount))
                try cut(carryCount, body)
                if let nl {
                    p = nl + 1
                    offset = start + UInt64(p)
                } else {
                    offset = start + UInt64(n)
                    skipping = true
                    return
                }
            } else if let nl {
                append(base + p, piece + 1)
                let line = UnsafeRawBufferPointer(start: carry!.baseAddress, count: carryCount)
                let at = offset
                carryCount = 0
                try deliver(line, lines: 1, offset: at, body)
                p = nl + 1
                offset = start + UInt64(p)
            } else {
                append(base + p, piece)
                return
            }
        }
        // Whole lines, in place; an over-long one splits the run.
        var blockStart = p, lines = 0, q = p
        while q < n, let hit = memchr(base + q, 0x0A, n - q) {
            let nl = UnsafeRawPointer(hit) - base
            if nl - q > limit {
                if lines > 0 {
                    try deliver(UnsafeRawBufferPointer(start: base + blockStart, count: q - blockStart), lines: lines,
                                offset: start + UInt64(blockStart), body)
                }
                stats.skippedBytes += UInt64(nl - q - limit)
                offset = start + UInt64(q)
                try cutInPlace(UnsafeRawBufferPointer(start: base + q, count: limit), body)
                q = nl + 1
                offset = start + UInt64(q)
                blockStart = q; lines = 0
                continue
            }
            lines += 1
            q = nl + 1
        }
        if lines > 0 {
            try deliver(UnsafeRawBufferPointer(start: base + blockStart, count: q - blockStart), lines: lines,
                        offset: start + UInt64(blockStart), body)
        }
        offset = start + UInt64(q)
        // The unfinished last line: carried over, or cut if it is already over the limit.
        let tail = n - q
        if tail > limit {
            stats.skippedBytes += UInt64(tail - limit)
            try cutInPlace(UnsafeRawBufferPointer(start: base + q, count: limit), body)
            offset = start + UInt64(n)
            skipping = true
        } else if tail > 0 {
            append(base + q, tail)
        }
    }

    /// Ends the stream: delivers the carried last line (one without a newline).
    public func finish(_ body: (LineBlock) throws -> Void) rethrows {
        if skipping { skipping = false; return }
        guard carryCount > 0 else { return }
        let line = UnsafeRawBufferPointer(start: carry!.baseAddress, count: carryCount)
        let at = offset
        offset += UInt64(carryCount)
        carryCount = 0
        try deliver(line, lines: 1, offset: at, body)
    }

    /// Reads `reader` to its end, feeding every read, then finishes the stream.
    ///
    /// If the reader throws, everything read before the error is still delivered (the final
    /// partial line included), then the error is rethrown.
    public func frame(_ reader: any ByteReader, _ body: (LineBlock) throws -> Void) throws {
        if readBuffer == nil { readBuffer = .allocate(byteCount: LineFramer.readChunk, alignment: 64) }
        let buffer = readBuffer!
        while true {
            let n: Int
            do {
                n = try reader.read(into: buffer)
            } catch {
                try finish(body)
                throw error
            }
            if n == 0 { break }
            try feed(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n), body)
        }
        try finish(body)
    }

    private func append(_ from: UnsafeRawPointer, _ count: Int) {
        guard count > 0 else { return }
        if carry == nil || carry!.count < carryCount + count {
            let grown = UnsafeMutableRawBufferPointer.allocate(
                byteCount: min(max(carryCount + count, (carry?.count ?? 0) * 2, 4096), maxLineBytes.bytes + 1), alignment: 64)
            if let old = carry {
                if carryCount > 0 { grown.baseAddress!.copyMemory(from: old.baseAddress!, byteCount: carryCount) }
                old.deallocate()
            }
            carry = grown
        }
        (carry!.baseAddress! + carryCount).copyMemory(from: from, byteCount: count)
        carryCount += count
    }

    private func deliver(_ view: UnsafeRawBufferPointer, lines: Int, offset at: UInt64, _ body: (LineBlock) throws -> Void) rethrows {
        stats.lines += lines
        let first = nextLine
        nextLine += lines
        try body(LineBlock(bytes: view, firstLineNumber: first, lineCount: lines, truncated: false, offset: at))
    }

    /// Delivers the carried head of an over-long line, cut to the limit.
    private func cut(_ count: Int, _ body: (LineBlock) throws -> Void) rethrows {
        let view = UnsafeRawBufferPointer(start: carry!.baseAddress, count: count)
        let at = offset
        carryCount = 0
        try cutInPlace(view, at: at, body)
    }

    private func cutInPlace(_ view: UnsafeRawBufferPointer, at: UInt64? = nil, _ body: (LineBlock) throws -> Void) rethrows {
        stats.lines += 1
        stats.truncatedLines += 1
        let first = nextLine
        nextLine += 1
        try body(LineBlock(bytes: view, firstLineNumber: first, lineCount: 1, truncated: true, offset: at ?? offset))
    }

    /// Number of lines in a block: its newlines, plus one for a final line without one.
    public static func countLines(_ view: UnsafeRawBufferPointer) -> Int {
        guard let base = view.baseAddress, view.count > 0 else { return 0 }
        var count = 0
        var start = 0
        while start < view.count, let nl = memchr(base + start, 0x0A, view.count - start) {
            count += 1
            start = UnsafeRawPointer(nl) - base + 1
        }
        return start < view.count ? count + 1 : count
    }
}
