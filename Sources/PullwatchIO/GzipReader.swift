import CIsal
import CZlib

/// Which inflate implementation decodes a gzip stream.
public enum InflateEngine: Sendable {
    /// ISA-L's igzip (`isal_inflate`): about twice as fast as zlib; the default.
    case isal
    /// zlib: the reference decoder (differential tests and the fuzzer compare the two).
    case zlib
}

/// Streaming gzip decoder over another `ByteReader`.
///
/// - Multi-member files (logrotate's `delaycompress`, `cat a.gz b.gz`) decode completely.
/// - Zero bytes after the last member (tape/block padding) are ignored.
/// - A truncated or corrupt member throws `GzipError` naming the compressed byte offset;
///   every byte decoded before it has already been returned.
/// - `ratioLimit` refuses output that outgrows the input by more than the policy allows.
/// - `engine` chooses ISA-L (default) or zlib; both give the same bytes and the same errors.
/// - Push mode: when `upstream` throws `InputPending` (a `PushReader` waiting for the next part
///   of a body), `read` throws it too and keeps its state; push more input and read again.
public final class GzipReader: ByteReader {
    private let upstream: any ByteReader
    private let ratioLimit: DecompressionRatioLimit
    private let engine: InflateEngine
    // One owner per C resource: the decoder states live at stable heap addresses (zlib keeps
    // a back pointer to its stream) and are freed in deinit.
    private let zstream: UnsafeMutablePointer<z_stream>?
    private let istate: UnsafeMutablePointer<inflate_state>?
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0      // unread input is input[inputStart..<inputEnd]
    private var inputEnd = 0
    private var upstreamEOF = false
    private var state: State = .needHeader
    /// Compressed bytes consumed from upstream so far.
    public private(set) var compressedOffset: UInt64 = 0
    /// Decompressed bytes produced so far.
    public private(set) var decompressedBytes: UInt64 = 0
    /// Members decoded completely.
    public private(set) var membersCompleted = 0
    private var memberStartOffset: UInt64 = 0

    private enum State { case needHeader, inMember, finished }

    /// Decodes gzip data read from `upstream`; `inputBufferSize` bytes of compressed input
    /// are buffered at a time.
    public init(_ upstream: any ByteReader, ratioLimit: DecompressionRatioLimit = .unlimited,
                inputBufferSize: Int = 128 * 1024, engine: InflateEngine = .isal) {
        self.upstream = upstream
        self.ratioLimit = ratioLimit
        self.engine = engine
        switch engine {
        case .zlib:
            zstream = .allocate(capacity: 1)
            zstream!.initialize(to: z_stream())
            istate = nil
        case .isal:
            zstream = nil
            istate = .allocate(capacity: 1)
            isal_inflate_init(istate!)
        }
        self.input = .allocate(byteCount: max(inputBufferSize, 64), alignment: 16)
    }

    deinit {
        if state == .inMember { endEngine() }
        zstream?.deinitialize(count: 1)
        zstream?.deallocate()
        istate?.deallocate()
        input.deallocate()
    }

    /// Offset (in compressed bytes) of the next unread input byte.
    private var position: UInt64 { compressedOffset - UInt64(inputEnd - inputStart) }

    /// Bytes already consumed that the buffer keeps before `inputStart` when it is compacted:
    /// at a member's end ISA-L hands back the whole bytes left in its bit buffer (up to 8),
    /// which it may have taken in an earlier call, so they must still be here to be read again
    /// (the next member's header, or the junk after the last one).
    private static let handBack = 16

    private func fill() throws {
        if inputStart > Self.handBack {
            let from = inputStart - Self.handBack
            let n = inputEnd - from
            input.baseAddress!.copyMemory(from: input.baseAddress! + from, byteCount: n)
            inputStart = Self.handBack; inputEnd = n
        }
        guard !upstreamEOF, inputEnd < input.count else { return }
        let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]))
        if n == 0 { upstreamEOF = true }
        inputEnd += n
        compressedOffset += UInt64(n)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            switch state {
            case .finished:
                return 0
            case .needHeader:
                // Between members: need 2 bytes to tell a new member from padding or junk.
                while inputEnd - inputStart < 2 && !upstreamEOF { try fill() }
                let available = inputEnd - inputStart
                if available == 0 { state = .finished; return 0 }
                let b0 = input[inputStart]
                let b1 = available > 1 ? input[inputStart + 1] : 0
                if b0 == 0x1f && b1 == 0x8b {
                    try checkHeader()
                    try startMember()
                } else if membersCompleted > 0 && b0 == 0 {
                    try skipZeroPadding()
                    return 0
                } else if available == 1 && b0 == 0x1f {
                    state = .finished
                    throw GzipError.truncated(offset: position, memberStart: position)
                } else {
                    state = .finished
                    throw GzipError.trailingGarbage(offset: position)
                }
            case .inMember:
                let n = try inflateSome(into: buffer)
                if n > 0 { return n }
            }
        }
    }

    /// The member header's method and flags, judged as soon as they are here (zlib does;
    /// ISA-L would wait for the whole header), so both engines fail alike on a bad header.
    private func checkHeader() throws {
        while inputEnd - inputStart < 4 && !upstreamEOF { try fill() }
        let available = inputEnd - inputStart
        if available > 2 && input[inputStart + 2] != 8 {
            state = .finished
            throw GzipError.corrupt(code: Z_DATA_ERROR, message: "unknown compression method", offset: position + 2)
        }
        if available > 3 && input[inputStart + 3] & 0xE0 != 0 {
            state = .finished
            throw GzipError.corrupt(code: Z_DATA_ERROR, message: "unknown header flags set", offset: position + 3)
        }
    }

    private func startMember() throws {
        switch engine {
        case .zlib:
            zstream!.pointee = z_stream()
            let rc = pw_inflate_init_gzip(zstream!)
            guard rc == Z_OK else {
                state = .finished
                throw GzipError.corrupt(code: rc, message: "inflateInit failed", offset: position)
            }
        case .isal:
            isal_inflate_reset(istate!)
            istate!.pointee.crc_flag = UInt32(ISAL_GZIP)
        }
        memberStartOffset = position
        state = .inMember
    }

    private func endEngine() {
        if engine == .zlib { inflateEnd(zstream!) }
    }

    private func endMember() {
        endEngine()
        membersCompleted += 1
        state = .needHeader
    }

    /// What one call of the engine did.
    private enum Step { case more, memberEnd, failed(code: Int32, message: String) }

    /// Runs the engine once over `input` into `output`.
    private func step(_ input: UnsafeMutableRawBufferPointer, _ output: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int, step: Step) {
        let outCount = min(output.count, Int(UInt32.max))
        switch engine {
        case .zlib:
            let z = zstream!
            z.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_in = uInt(input.count)
            z.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_out = uInt(outCount)
            let rc = inflate(z, Z_NO_FLUSH)
            let consumed = input.count - Int(z.pointee.avail_in)
            let produced = outCount - Int(z.pointee.avail_out)
            switch rc {
            case Z_OK: return (consumed, produced, .more)
            case Z_BUF_ERROR:
                // No progress with input left is an error; with no input left it needs more.
                return (consumed, produced, produced == 0 && consumed < input.count ? .failed(code: rc, message: "no progress") : .more)
            case Z_STREAM_END: return (consumed, produced, .memberEnd)
            default: return (consumed, produced, .failed(code: rc, message: z.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"))
            }
        case .isal:
            let st = istate!
            st.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            st.pointee.avail_in = UInt32(input.count)
            st.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            st.pointee.avail_out = UInt32(outCount)
            let rc = isal_inflate(st)
            let consumed = input.count - Int(st.pointee.avail_in)
            let produced = outCount - Int(st.pointee.avail_out)
            if rc < 0 { return (consumed, produced, .failed(code: rc, message: Self.isalMessage(rc))) }
            if st.pointee.block_state == ISAL_BLOCK_FINISH { return (consumed, produced, .memberEnd) }
            if consumed == 0 && produced == 0 && !input.isEmpty {
                return (consumed, produced, .failed(code: rc, message: "no progress"))
            }
            return (consumed, produced, .more)
        }
    }

    /// ISA-L's errors in zlib's words.
    static func isalMessage(_ rc: Int32) -> String {
        switch rc {
        case ISAL_INVALID_BLOCK: return "invalid block type or lengths"
        case ISAL_INVALID_SYMBOL: return "invalid code or symbol"
        case ISAL_INVALID_LOOKBACK: return "invalid distance too far back"
        case ISAL_INVALID_WRAPPER: return "incorrect header check"
        case ISAL_UNSUPPORTED_METHOD: return "unknown compression method"
        case ISAL_INCORRECT_CHECKSUM: return "incorrect data check"
        default: return "error \(rc)"
        }
    }

    /// Runs inflate until it produced output, the member ended, or an error.
    private func inflateSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if inputStart == inputEnd {
                try fill()
                if inputStart == inputEnd && upstreamEOF {
                    // ISA-L may still hold decoded bytes: they are returned before the error.
                    if engine == .isal {
                        let (consumed, produced, result) = step(UnsafeMutableRawBufferPointer(rebasing: input[inputStart..<inputStart]), buffer)
                        inputStart = max(0, inputStart + consumed)   // bytes handed back at the member's end (`handBack`)
                        decompressedBytes += UInt64(produced)
                        if case .memberEnd = result { endMember(); return produced }
                        if produced > 0 { return produced }
                    }
                    endEngine()
                    state = .finished
                    throw GzipError.truncated(offset: compressedOffset, memberStart: memberStartOffset)
                }
            }
            let (consumed, produced, result) = step(UnsafeMutableRawBufferPointer(rebasing: input[inputStart..<inputEnd]), buffer)
            inputStart = max(0, inputStart + consumed)   // less when ISA-L hands back bytes of an earlier call (`handBack`)
            decompressedBytes += UInt64(produced)
            switch result {
            case .more:
                try checkRatio()
                if produced > 0 { return produced }
            case .memberEnd:
                endMember()
                try checkRatio()
                // With no output yet, `read` loops on to the next member (no recursion:
                // a file of a million empty members must not exhaust the stack).
                return produced
            case .failed(let code, let message):
                // Report where the bad bytes are: the offset the decoder stopped at.
                let offset = position
                endEngine()
                state = .finished
                throw GzipError.corrupt(code: code, message: message, offset: offset)
            }
        }
    }

    private func checkRatio() throws {
        guard case let .maxRatio(ratio, minimumBytes) = ratioLimit else { return }
        let consumed = max(position, 1)
        if decompressedBytes > minimumBytes && decompressedBytes > ratio * consumed {
            if state == .inMember { endEngine() }
            state = .finished
            throw GzipError.ratioExceeded(ratio: ratio, decompressed: decompressedBytes, compressed: consumed)
        }
    }

    /// After the last member: zero padding up to the end is fine; anything else is junk.
    private func skipZeroPadding() throws {
        while true {
            while inputStart < inputEnd {
                if input[inputStart] != 0 {
                    state = .finished
                    throw GzipError.trailingGarbage(offset: position)
                }
                inputStart += 1
            }
            if upstreamEOF { state = .finished; return }
            try fill()
        }
    }
}

/// Why a gzip stream could not be decoded to its end. Offsets are compressed bytes.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    /// The input ended inside a member.
    case truncated(offset: UInt64, memberStart: UInt64)
    /// The decoder rejected the data (bad header, bad CRC, invalid block...).
    case corrupt(code: Int32, message: String, offset: UInt64)
    /// Bytes after a complete member that are neither a new member nor zero padding.
    case trailingGarbage(offset: UInt64)
    /// The output outgrew the decompression-ratio limit.
    case ratioExceeded(ratio: UInt64, decompressed: UInt64, compressed: UInt64)

    /// The compressed byte offset the error refers to.
    public var offset: UInt64 {
        switch self {
        case .truncated(let o, _), .corrupt(_, _, let o), .trailingGarbage(let o): return o
        case .ratioExceeded(_, _, let c): return c
        }
    }

    public var description: String {
        switch self {
        case .truncated(let offset, let start):
            return "gzip data truncated at compressed byte offset \(offset) (member started at \(start))"
        case .corrupt(_, let message, let offset):
            return "corrupt gzip data at compressed byte offset \(offset): \(message)"
        case .trailingGarbage(let offset):
            return "unexpected bytes after gzip data at compressed byte offset \(offset)"
        case .ratioExceeded(let ratio, let out, let comp):
            return "decompression ratio limit \(ratio)x exceeded (\(out) bytes from \(comp) compressed) at compressed byte offset \(comp)"
        }
    }
}
