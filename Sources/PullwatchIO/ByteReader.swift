#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull-based source of bytes: a file descriptor, a gzip decoder, a test's chunk list.
///
/// Readers write straight into the caller's buffer so that decoded bytes land in the
/// line framer's roll buffer without an intermediate copy.
public protocol ByteReader: AnyObject {
    /// Reads at most `buffer.count` bytes into `buffer` and returns how many were written;
    /// 0 means the end of the stream. A thrown error ends the stream: the bytes returned
    /// before it are valid and must still be used.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a file descriptor with `read(2)`; closes it on deinit when it owns it.
public final class FileDescriptorReader: ByteReader {
    /// The descriptor being read.
    public let fd: Int32
    private let ownsDescriptor: Bool
    /// Bytes read so far: the raw (possibly compressed) offset into the file.
    public private(set) var offset: UInt64 = 0

    /// Wraps `fd`; when `owning`, the reader closes it when it goes away.
    public init(fd: Int32, owning: Bool) {
        self.fd = fd
        self.ownsDescriptor = owning
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(fd, buffer.baseAddress, buffer.count)
            #endif
            if n >= 0 {
                offset += UInt64(n)
                return n
            }
            if errno == EINTR { continue }
            throw IOFailure.read(errno: errno, offset: offset)
        }
    }
}

/// Replays bytes that were read ahead (to sniff a magic number) before reading on.
public final class PrefixedReader: ByteReader {
    private var prefix: [UInt8]
    private var prefixPosition = 0
    private let base: any ByteReader

    /// Serves `prefix` first, then whatever `base` yields.
    public init(prefix: [UInt8], base: any ByteReader) {
        self.prefix = prefix
        self.base = base
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if prefixPosition < prefix.count {
            let n = min(buffer.count, prefix.count - prefixPosition)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + prefixPosition, byteCount: n)
            }
            prefixPosition += n
            if prefixPosition == prefix.count { prefix = []; prefixPosition = 0 }
            return n
        }
        return try base.read(into: buffer)
    }
}

/// Serves a fixed byte array in chunks whose sizes a test chooses (whole, byte by byte,
/// random), so decoders can be checked for identical results whatever the chunking.
public final class ChunkedReader: ByteReader {
    private let bytes: [UInt8]
    private var position = 0
    private var chunkSizes: [Int]
    private var nextChunk = 0

    /// `chunkSizes` cycles; an empty list means "as much as the caller asks for".
    public init(_ bytes: [UInt8], chunkSizes: [Int] = []) {
        self.bytes = bytes
        self.chunkSizes = chunkSizes.filter { $0 > 0 }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let remaining = bytes.count - position
        guard remaining > 0, buffer.count > 0 else { return 0 }
        var n = min(remaining, buffer.count)
        if !chunkSizes.isEmpty {
            n = min(n, chunkSizes[nextChunk % chunkSizes.count])
            nextChunk += 1
        }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

/// Low-level read failures (the source adds the file name when it reports them).
public enum IOFailure: Error, CustomStringConvertible {
    case open(errno: Int32)
    case read(errno: Int32, offset: UInt64)

    public var description: String {
        switch self {
        case .open(let e): return "cannot open: \(String(cString: strerror(e)))"
        case .read(let e, let offset): return "read error at byte offset \(offset): \(String(cString: strerror(e)))"
        }
    }
}

/// Thrown by a reader whose next bytes have not arrived yet (`PushReader`): neither the end of
/// the stream nor a failure. `GzipReader` passes it on with its state intact, so a later
/// `read` resumes where it stopped (push-mode decoding of a body that arrives in parts).
public struct InputPending: Error, Equatable {
    public init() {}
}

/// Bytes handed in as they arrive (an HTTP body's parts) for a pull-based decoder: `read`
/// returns what has been pushed, throws `InputPending` when nothing is there yet, and 0 only
/// after `finish()`. Holds at most what was pushed and not yet read.
public final class PushReader: ByteReader {
    private var pending: [UInt8] = []
    private var readOffset = 0
    private var finished = false

    public init() {}

    /// Appends `bytes` to the unread input.
    public func push(_ bytes: UnsafeRawBufferPointer) {
        if readOffset > 0 && readOffset == pending.count {
            pending.removeAll(keepingCapacity: true)
            readOffset = 0
        }
        pending.append(contentsOf: bytes)
    }

    /// No more input will come: once the pushed bytes are read, `read` returns 0.
    public func finish() { finished = true }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let available = pending.count - readOffset
        if available == 0 {
            if finished { return 0 }
            throw InputPending()
        }
        let n = min(available, buffer.count)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + readOffset, byteCount: n) }
        readOffset += n
        return n
    }
}
