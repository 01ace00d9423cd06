import PullwatchIO

/// What reading one source produced, beside its records.
public struct IngestSummary: Sendable, Equatable {
    /// Decompressed bytes read.
    public var bytes: UInt64 = 0
    /// Lines framed.
    public var lines = 0
    /// Records emitted.
    public var records = 0
    /// Lines cut at the line-length limit.
    public var truncatedLines = 0
    /// Lines handed to the record decoder (all lines without a gate).
    public var decodedLines = 0
    /// Bytes skipped from over-long lines.
    public var skippedBytes: UInt64 = 0
    /// JSON values skipped (malformed or too large).
    public var skippedValues = 0
    /// Every problem met, with file and line or byte offset.
    public var errors: [InputError] = []

    /// Nothing read yet.
    public init() {}
}

/// The ingest half of the data flow for one source: open (sniffing gzip), frame lines,
/// decode records. Every mode (scan, follow, serve) runs this same path.
public enum Ingest {
    /// Reads `source` to its end, calling `emit` for each record. Errors do not stop the
    /// read: what was decoded before a corrupt gzip member is still emitted.
    @discardableResult
    public static func read(_ source: InputSource, options: DecoderOptions = DecoderOptions(),
                            ratioLimit: DecompressionRatioLimit = .unlimited,
                            pipelining: InflatePipelining = .off,
                            gate: LiteralSet? = nil,
                            progress: ((Int) -> Void)? = nil,
                            emit: (Record) -> Void) -> IngestSummary {
        var summary = IngestSummary()
        let name = source.description
        let reader: any ByteReader
        do {
            // With a spare core, framing and the gate run ahead on a thread of their own
            // (`BlockPipeline`), and gzip is inflated on a third (`PipelinedReader`).
            reader = try InputOpener.open(source, ratioLimit: ratioLimit, pipelining: pipelining)
        } catch {
            summary.errors.append(InputError(source: name, message: "\(error)"))
            return summary
        }
        if pipelining == .on {
            return readPipelined(reader, name: name, options: options, gate: gate, progress: progress, emit: emit)
        }
        return read(reader, name: name, options: options, gate: gate, progress: progress, emit: emit)
    }

    /// `read` with framing and the gate on a second thread (`BlockPipeline`); the same records,
    /// line numbers, counts and errors in the same order.
    @discardableResult
    public static func readPipelined(_ reader: any ByteReader, name: String, options: DecoderOptions = DecoderOptions(),
                                     gate: LiteralSet? = nil,
                                     progress: ((Int) -> Void)? = nil,
                                     emit: (Record) -> Void) -> IngestSummary {
        var summary = IngestSummary()
        let framer = LineFramer(maxLineBytes: options.maxLineBytes)
        let pipe = BlockPipeline(slotBytes: framer.maxBlockBytes)
        pipe.start(reader, framer: framer, gate: gate)
        var blocks = BlockDecoder(decoder: RecordDecoder(source: name, options: options), gate: gate)
        var count = 0
        return withoutActuallyEscaping(emit) { emit in
            let counting: (Record) -> Void = { r in count += 1; emit(r) }
            while let item = pipe.next() {
                let block = LineBlock(bytes: pipe.view(item),
                                      firstLineNumber: item.firstLineNumber, lineCount: item.lineCount, truncated: item.truncated)
                progress?(item.count)
                blocks.process(block, hits: item.hits, summary: &summary, emit: counting)
                pipe.release(item)
            }
            pipe.condition.lock()
            let failure = pipe.failure
            let stats = pipe.stats
            pipe.condition.unlock()
            conclude(&summary, name: name, failure: failure, stats: stats, decoder: blocks.decoder, emit: counting)
            summary.records = count
            return summary
        }
    }

    /// The end of a read: the stream's error (a gzip one with its byte offset), the decoder's
    /// last records and errors, the framing counts.
    private static func conclude(_ summary: inout IngestSummary, name: String, failure: (any Error)?, stats: FramingStats,
                                 decoder: RecordDecoder, emit: (Record) -> Void) {
        if let e = failure as? GzipError {
            summary.errors.append(InputError(source: name, offset: e.offset, message: e.description))
        } else if let failure {
            summary.errors.append(InputError(source: name, message: "\(failure)"))
        }
        decoder.finish(emit: emit)
        summary.bytes = stats.bytes
        summary.lines = stats.lines
        summary.truncatedLines = stats.truncatedLines
        summary.skippedBytes = stats.skippedBytes
        summary.skippedValues = decoder.skippedValues
        summary.errors.append(contentsOf: decoder.errors)
    }

    /// Reads an already opened byte stream named `name`. With a `gate`, each block is searched
    /// once for the gate's literals; lines without an occurrence that the decoder may skip
    /// (`RecordDecoder.isSkippable`) are counted but not parsed — no allocation for them.
    @discardableResult
    public static func read(_ reader: any ByteReader, name: String, options: DecoderOptions = DecoderOptions(),
                            gate: LiteralSet? = nil,
                            progress: ((Int) -> Void)? = nil,
                            emit: (Record) -> Void) -> IngestSummary {
        var summary = IngestSummary()
        let framer = LineFramer(maxLineBytes: options.maxLineBytes)
        var blocks = BlockDecoder(decoder: RecordDecoder(source: name, options: options), gate: gate)
        var count = 0
        return withoutActuallyEscaping(emit) { emit in
            let counting: (Record) -> Void = { r in count += 1; emit(r) }
            var failure: (any Error)?
            do {
                try framer.frame(reader) { block in
                    progress?(block.bytes.count)
                    blocks.process(block, summary: &summary, emit: counting)
                }
            } catch {
                failure = error
            }
            conclude(&summary, name: name, failure: failure, stats: framer.stats, decoder: blocks.decoder, emit: counting)
            summary.records = count
            return summary
        }
    }
}

/// The per-block step of every read path (batch and follow): find the gate's literals in the
/// whole block once, then hand to the decoder the lines that have one — and every line the
/// decoder cannot skip (it carries state). Owns the stream's decoder.
public struct BlockDecoder {
    /// The stream's record decoder.
    public let decoder: RecordDecoder
    /// The literal prefilter (nil: every line is decoded).
    public let gate: LiteralSet?
    /// Whether one-line JSON values without a literal may be skipped too: only when every
    /// literal is still visible in JSON-escaped text (`JSONValidation.setSurvivesEscaping`).
    public let gatesJSON: Bool
    private var hits: [Int] = []

    /// A block decoder around `decoder`.
    public init(decoder: RecordDecoder, gate: LiteralSet?) {
        self.decoder = decoder
        self.gate = gate
        self.gatesJSON = gate.map { JSONValidation.setSurvivesEscaping($0.literals) } ?? false
        hits.reserveCapacity(1024)
    }

    /// Decodes the candidate lines of `block`; counts decoded lines and reports cut lines.
    public mutating func process(_ block: LineBlock, summary: inout IngestSummary, emit: (Record) -> Void) {
        // Hit offsets of the block, ascending: a line is a candidate when one lies in it.
        hits.removeAll(keepingCapacity: true)
        if let gate {
            gate.forEachHit(in: block.bytes) { hits.append($0) }
            if hits.count > 1 { hits.sort() }
        }
        decodeCandidates(block, summary: &summary, emit: emit)
    }

    /// `process` with the block's gate hits found elsewhere (`BlockPipeline`), ascending.
    public mutating func process(_ block: LineBlock, hits found: [Int], summary: inout IngestSummary, emit: (Record) -> Void) {
        hits.removeAll(keepingCapacity: true)
        hits.append(contentsOf: found)
        decodeCandidates(block, summary: &summary, emit: emit)
    }

    private mutating func decodeCandidates(_ block: LineBlock, summary: inout IngestSummary, emit: (Record) -> Void) {
        decoder.followClock()
        var nextHit = 0
        let blockBase = block.bytes.baseAddress
        let gated = gate != nil
        block.forEachLine { line in
            if line.truncated {
                summary.errors.append(InputError(source: decoder.source, line: line.number,
                    message: "line longer than \(decoder.options.maxLineBytes.bytes) bytes; the rest was skipped"))
            }
            if gated, let blockBase, let lineBase = line.bytes.baseAddress {
                let start = lineBase - blockBase, end = start + line.bytes.count
                while nextHit < hits.count && hits[nextHit] < start { nextHit += 1 }
                let hasHit = nextHit < hits.count && hits[nextHit] < end
                if !hasHit && (decoder.isSkippable(line.bytes) || (gatesJSON && decoder.isSkippableJSON(line.bytes))) { return }
            }
            summary.decodedLines += 1
            decoder.decode(line, emit: emit)
        }
    }
}

/// Cheap per-line format recognition on bytes (no `String`, no allocation): what the
/// ingest benchmark measures, and what a later gate can use to pick a parser.
public enum FormatSniffer {
    /// The shape of a line.
    public enum Shape: String, CaseIterable, Sendable {
        case cri, journal, syslog5424, klog, logrus, json, table, plain
    }

    /// Classifies `line` by its first bytes.
    @inlinable
    public static func sniff(_ line: UnsafeRawBufferPointer) -> Shape {
        guard let b0 = line.first else { return .plain }
        switch b0 {
        case UInt8(ascii: "{"), UInt8(ascii: "["): return .json
        case UInt8(ascii: "<"):
            return line.count > 4 && line.firstIndex(of: UInt8(ascii: ">")).map({
                $0 + 2 < line.count && line[$0 + 1] == UInt8(ascii: "1") && line[$0 + 2] == 0x20
            }) == true ? .syslog5424 : .journal
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            // 2025-11-22T10:00:00.1Z stderr F …  vs  2025-11-22T10:00:00+0000 host prog: …
            if line.count > 31, let sp = line.firstIndex(of: 0x20), sp + 7 < line.count,
               line[sp + 1] == UInt8(ascii: "s"), line[sp + 4] == UInt8(ascii: "o") || line[sp + 4] == UInt8(ascii: "e") {
                return .cri
            }
            return .journal
        case UInt8(ascii: "I"), UInt8(ascii: "W"), UInt8(ascii: "E"), UInt8(ascii: "F"):
            if line.count > 5, line[1] >= 0x30, line[1] <= 0x39, line[4] >= 0x30, line[4] <= 0x39 { return .klog }
        case UInt8(ascii: "t"), UInt8(ascii: "l"):
            if line.hasPrefix("time=") || line.hasPrefix("level=") { return .logrus }
        case 0x20, 0x09: return .table
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            if line.count > 15, line[3] == 0x20, line[6] == 0x20 { return .journal }
        default: break
        }
        return .plain
    }
}
