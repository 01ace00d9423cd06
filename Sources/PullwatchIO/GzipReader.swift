import CZlib

/// Streaming gzip decoder over another `ByteReader`.
///
/// - Multi-member files (logrotate's `delaycompress`, `cat a.gz b.gz`) decode completely.
/// - Zero bytes after the last member (tape/block padding) are ignored.
/// - A truncated or corrupt member throws `GzipError` naming the compressed byte offset;
///   every byte decoded before it has already been returned.
/// - `ratioLimit` refuses output that outgrows the input by more than the policy allows.
public final class GzipReader: ByteReader {
    private let upstream: any ByteReader
    private let ratioLimit: DecompressionRatioLimit
    // One owner per C resource: the z_stream lives at a stable heap address (zlib keeps
    // a back pointer to it) and is freed in deinit.
    private let stream: UnsafeMutablePointer<z_stream>
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
                inputBufferSize: Int = 128 * 1024) {
        self.upstream = upstream
        self.ratioLimit = ratioLimit
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        self.input = .allocate(byteCount: max(inputBufferSize, 64), alignment: 16)
    }

    deinit {
        if state == .inMember { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Offset (in compressed bytes) of the next unread input byte.
    private var position: UInt64 { compressedOffset - UInt64(inputEnd - inputStart) }

    private func fill() throws {
        if inputStart > 0 && inputStart == inputEnd { inputStart = 0; inputEnd = 0 }
        if inputStart > 0 {
            let n = inputEnd - inputStart
            input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: n)
            inputStart = 0; inputEnd = n
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

    private func startMember() throws {
        stream.pointee = z_stream()
        let rc = pw_inflate_init_gzip(stream)
        guard rc == Z_OK else {
            state = .finished
            throw GzipError.zlib(code: rc, message: "inflateInit failed", offset: position)
        }
        memberStartOffset = position
        state = .inMember
    }

    private func endMember() {
        inflateEnd(stream)
        membersCompleted += 1
        state = .needHeader
    }

    /// Runs inflate until it produced output, the member ended, or an error.
    private func inflateSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if inputStart == inputEnd {
                try fill()
                if inputStart == inputEnd && upstreamEOF {
                    inflateEnd(stream)
                    state = .finished
                    throw GzipError.truncated(offset: compressedOffset, memberStart: memberStartOffset)
                }
            }
            let availIn = inputEnd - inputStart
            stream.pointee.next_in = (input.baseAddress! + inputStart).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(availIn)
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
            let rc = inflate(stream, Z_NO_FLUSH)
            let consumed = availIn - Int(stream.pointee.avail_in)
            inputStart += consumed
            let produced = min(buffer.count, Int(UInt32.max)) - Int(stream.pointee.avail_out)
            decompressedBytes += UInt64(produced)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                try checkRatio()
                if produced > 0 { return produced }
                // Z_BUF_ERROR with input left would mean no progress possible; with no input
                // left it just needs more, which the loop fetches.
                if rc == Z_BUF_ERROR && inputStart < inputEnd {
                    let offset = position
                    inflateEnd(stream); state = .finished
                    throw GzipError.zlib(code: rc, message: "no progress", offset: offset)
                }
            case Z_STREAM_END:
                endMember()
                try checkRatio()
                // With no output yet, `read` loops on to the next member (no recursion:
                // a file of a million empty members must not exhaust the stack).
                return produced
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                // Report where the bad bytes are: the offset zlib stopped at.
                let offset = position
                inflateEnd(stream)
                state = .finished
                throw GzipError.zlib(code: rc, message: message, offset: offset)
            }
        }
    }

    private func checkRatio() throws {
        guard case let .maxRatio(ratio, minimumBytes) = ratioLimit else { return }
        let consumed = max(position, 1)
        if decompressedBytes > minimumBytes && decompressedBytes > ratio * consumed {
            if state == .inMember { inflateEnd(stream) }
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
    /// zlib rejected the data (bad header, bad CRC, invalid block...).
    case zlib(code: Int32, message: String, offset: UInt64)
    /// Bytes after a complete member that are neither a new member nor zero padding.
    case trailingGarbage(offset: UInt64)
    /// The output outgrew the decompression-ratio limit.
    case ratioExceeded(ratio: UInt64, decompressed: UInt64, compressed: UInt64)

    /// The compressed byte offset the error refers to.
    public var offset: UInt64 {
        switch self {
        case .truncated(let o, _), .zlib(_, _, let o), .trailingGarbage(let o): return o
        case .ratioExceeded(_, _, let c): return c
        }
    }

    public var description: String {
        switch self {
        case .truncated(let offset, let start):
            return "gzip data truncated at compressed byte offset \(offset) (member started at \(start))"
        case .zlib(_, let message, let offset):
            return "corrupt gzip data at compressed byte offset \(offset): \(message)"
        case .trailingGarbage(let offset):
            return "unexpected bytes after gzip data at compressed byte offset \(offset)"
        case .ratioExceeded(let ratio, let out, let comp):
            return "decompression ratio limit \(ratio)x exceeded (\(out) bytes from \(comp) compressed) at compressed byte offset \(comp)"
        }
    }
}
