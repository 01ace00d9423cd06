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

    /// A block view.
    @inlinable public init(bytes: UnsafeRawBufferPointer, firstLineNumber: Int, lineCount: Int, truncated: Bool) {
        self.bytes = bytes
        self.firstLineNumber = firstLineNumber
        self.lineCount = lineCount
        self.truncated = truncated
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

/// Splits a byte stream into lines over one reused roll buffer (after ripgrep's
/// `LineBuffer`): fill, find the last newline, hand the complete lines on as one view,
/// move the partial tail to the front, repeat. No per-line allocation.
///
/// The buffer holds `maxLineBytes + 1` bytes, so every delivered line fits the limit;
/// a buffer full of bytes with no newline is an over-long line: its head is delivered
/// (marked truncated), the rest is skipped up to the next newline and counted.
public final class LineFramer {
    /// The line-length policy in force.
    public let maxLineBytes: MaxLineBytes
    private let buffer: UnsafeMutableRawBufferPointer
    /// What this framer has seen so far (accumulates over `frame` calls).
    public private(set) var stats = FramingStats()

    /// A framer keeping at most `maxLineBytes` of each line.
    public init(maxLineBytes: MaxLineBytes = .default) {
        self.maxLineBytes = maxLineBytes
        self.buffer = .allocate(byteCount: maxLineBytes.bytes + 1, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Reads `reader` to its end and calls `body` with each block of complete lines.
    ///
    /// If the reader throws, everything read before the error is still delivered (the
    /// final partial line included), then the error is rethrown.
    public func frame(_ reader: any ByteReader, _ body: (LineBlock) throws -> Void) throws {
        let base = buffer.baseAddress!
        let capacity = buffer.count
        var filled = 0
        var skipping = false
        var nextLine = 1
        var readError: (any Error)?

        func deliver(_ count: Int, truncated: Bool) throws {
            let view = UnsafeRawBufferPointer(start: base, count: count)
            let lines = truncated ? 1 : LineFramer.countLines(view)
            stats.lines += lines
            try body(LineBlock(bytes: view, firstLineNumber: nextLine, lineCount: lines, truncated: truncated))
            nextLine += lines
        }

        while true {
            var n = 0
            do {
                n = try reader.read(into: UnsafeMutableRawBufferPointer(start: base + filled, count: capacity - filled))
            } catch {
                readError = error
            }
            if n == 0 {
                if !skipping && filled > 0 { try deliver(filled, truncated: false) }
                break
            }
            stats.bytes += UInt64(n)
            var searchFrom = filled
            filled += n
            if skipping {
                guard let nl = memchr(base, 0x0A, filled) else {
                    stats.skippedBytes += UInt64(filled)
                    filled = 0
                    continue
                }
                let cut = UnsafeMutableRawPointer(nl) - base
                stats.skippedBytes += UInt64(cut)
                filled -= cut + 1
                memmove(base, base + cut + 1, filled)
                skipping = false
                searchFrom = 0
                if filled == 0 { continue }
            }
            if let last = memrchr(base + searchFrom, 0x0A, filled - searchFrom) {
                let end = UnsafeMutableRawPointer(last) - base + 1
                try deliver(end, truncated: false)
                filled -= end
                if filled > 0 { memmove(base, base + end, filled) }
            } else if filled == capacity {
                try deliver(maxLineBytes.bytes, truncated: true)
                stats.truncatedLines += 1
                stats.skippedBytes += UInt64(filled - maxLineBytes.bytes)
                filled = 0
                skipping = true
            }
        }
        if let readError { throw readError }
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
