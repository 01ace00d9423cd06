#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where input comes from: a file found on disk or standard input.
public enum InputSource: Sendable, Hashable, CustomStringConvertible {
    /// A regular file (or FIFO) at this path.
    case file(String)
    /// Standard input (`-`, or no path with piped stdin).
    case standardInput

    /// The name used in errors and reports: the path, or `<stdin>`.
    public var description: String {
        switch self {
        case .file(let path): return path
        case .standardInput: return "<stdin>"
        }
    }
}

/// An input problem that did not stop the run: names the source and where in it.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or `<stdin>`) the problem is in.
    public var source: String
    /// 1-based line number, when the problem is in a line.
    public var line: Int?
    /// Byte offset (compressed offset for gzip), when the problem is in the byte stream.
    public var offset: UInt64?
    /// What is wrong, for a person.
    public var message: String

    /// An error at a line or offset of `source`.
    public init(source: String, line: Int? = nil, offset: UInt64? = nil, message: String) {
        self.source = source
        self.line = line
        self.offset = offset
        self.message = message
    }

    /// `file:line: message`, `file: byte offset N: message` or `file: message`.
    public var description: String {
        if let line { return "\(source):\(line): \(message)" }
        if let offset, !message.contains("offset") { return "\(source): byte offset \(offset): \(message)" }
        return "\(source): \(message)"
    }
}

/// Expands the paths a user gave into input files: directories recursively, in byte-wise
/// sorted order (deterministic across machines), following symlinks but never into a
/// directory already being walked (loops are reported, not followed).
public struct InputDiscovery {
    /// Files found, in order.
    public private(set) var sources: [InputSource] = []
    /// Paths that could not be used (missing, unreadable, symlink loop).
    public private(set) var errors: [InputError] = []

    private struct FileID: Hashable { let device: UInt64; let inode: UInt64 }

    /// Walks `paths`; `"-"` is standard input.
    public init(paths: [String]) {
        var seenFiles = Set<FileID>()
        for path in paths {
            if path == "-" {
                sources.append(.standardInput)
                continue
            }
            walk(path, ancestors: [], seenFiles: &seenFiles, topLevel: true)
        }
    }

    private static func identity(_ path: String) -> (FileID, isDirectory: Bool)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let id = FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        return (id, (st.st_mode & S_IFMT) == S_IFDIR)
    }

    private mutating func walk(_ path: String, ancestors: Set<FileID>, seenFiles: inout Set<FileID>, topLevel: Bool) {
        guard let (id, isDirectory) = Self.identity(path) else {
            let e = errno
            errors.append(InputError(source: path, message: "cannot open: \(String(cString: strerror(e)))"))
            return
        }
        guard isDirectory else {
            // The same file reached twice (two symlinks, or named twice) is read once.
            if seenFiles.insert(id).inserted { sources.append(.file(path)) }
            return
        }
        if ancestors.contains(id) {
            errors.append(InputError(source: path, message: "symlink loop: directory already being read; skipped"))
            return
        }
        guard let dir = opendir(path) else {
            let e = errno
            errors.append(InputError(source: path, message: "cannot read directory: \(String(cString: strerror(e)))"))
            return
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        closedir(dir)
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var inner = ancestors
        inner.insert(id)
        let prefix = path.hasSuffix("/") ? path : path + "/"
        for name in names {
            walk(prefix + name, ancestors: inner, seenFiles: &seenFiles, topLevel: false)
        }
    }
}

/// Opens a source as a byte stream, decompressing gzip when the first two bytes are
/// gzip's magic number (never by file name).
public enum InputOpener {
    /// Opens `source`; the result yields plain (decompressed) bytes.
    public static func open(_ source: InputSource,
                            ratioLimit: DecompressionRatioLimit = .unlimited,
                            pipelining: InflatePipelining = .off) throws -> any ByteReader {
        let raw: FileDescriptorReader
        switch source {
        case .standardInput:
            raw = FileDescriptorReader(fd: 0, owning: false)
        case .file(let path):
            let fd = path.withCString { Glibc.open($0, O_RDONLY | O_CLOEXEC) }
            guard fd >= 0 else { throw IOFailure.open(errno: errno) }
            raw = FileDescriptorReader(fd: fd, owning: true)
        }
        let reader = try sniffGzip(raw, ratioLimit: ratioLimit)
        if pipelining == .on, reader is GzipReader { return PipelinedReader(reader) }
        return reader
    }

    /// Wraps `reader` in a `GzipReader` when its stream starts with `1f 8b`.
    public static func sniffGzip(_ reader: any ByteReader,
                                 ratioLimit: DecompressionRatioLimit = .unlimited) throws -> any ByteReader {
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let n = try head.withUnsafeMutableBytes { buf in
                try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[got...]))
            }
            if n == 0 { break }
            got += n
        }
        let prefixed = PrefixedReader(prefix: Array(head[..<got]), base: reader)
        if got == 2 && head[0] == 0x1f && head[1] == 0x8b {
            return GzipReader(prefixed, ratioLimit: ratioLimit)
        }
        return prefixed
    }
}
