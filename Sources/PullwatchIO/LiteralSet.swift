#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds occurrences of any of a set of byte literals in a buffer in one pass — the gate's
/// engine (after the multi-literal prefilters of ripgrep and Hyperscan, much simplified).
///
/// Each literal is represented by one span of `S` bytes, `S` the length of the shortest
/// literal: the span whose 4-byte windows are least common in kubelet and runtime logs
/// (`containerd`, `image` and `failed` are on every other line, so `pinging container registry`
/// is indexed by `registry`; the frequencies are counted on real ordinary log lines:
/// `CommonWindows`, `scripts/common-windows.py`). The span's windows are entered in a 2^18-bit
/// set. The scan loads one 4-byte window every `stride = S − 3` bytes: an occurrence of a literal covers
/// its span's S − 3 window starts, so at least one of them is visited. A window whose bit is
/// set is looked up in a small bucket table of (window, literal, offset) entries and the
/// literal is compared in full, so the result is exact; rare spans keep those comparisons few,
/// whatever the number of literals. The scan allocates nothing and touches no
/// reference-counted object.
public final class LiteralSet: @unchecked Sendable {
    // All storage is written once in init and only read afterwards; shared by all workers.
    struct Entry {
        var window: UInt32; var start: Int32; var length: Int32; var offset: Int32; var index: Int32
        /// The literal's first (up to) 8 bytes, little-endian, and the mask of those bytes: most
        /// window hits that are not occurrences fail this compare, without a call to `memcmp`.
        var head: UInt64; var headMask: UInt64
    }
    private static let bitCount = 1 << 18
    private static let bucketCount = 1 << 12
    private let bits: UnsafeMutablePointer<UInt64>
    private let bucketStart: UnsafeMutablePointer<Int32>   // bucketCount + 1 prefix offsets
    private let entries: UnsafeMutablePointer<Entry>
    private let literalBytes: UnsafeMutableRawPointer
    private let entryCount: Int
    /// Bytes between probed windows.
    public let stride: Int
    /// Literals shorter than 4 bytes (`EOF`): found by `memchr` on their rarest byte (`anchor`),
    /// then compared whole.
    private let short: [(literal: [UInt8], anchor: Int, index: Int)]
    /// The literals searched for (empty ones dropped).
    public let literals: [[UInt8]]
    /// For each literal: words one of which must follow it in the same line for an occurrence
    /// to count (empty: every occurrence counts).
    private let needs: [[[UInt8]]]

    /// A set of `literals` (empty ones are ignored); `needs[i]`, when given and not empty, makes
    /// `literals[i]` count only where one of those words follows it in the same line.
    public init(_ literals: [[UInt8]], needs: [[[UInt8]]] = []) {
        let kept = literals.indices.filter { !literals[$0].isEmpty }
        self.needs = kept.map { $0 < needs.count ? needs[$0].filter { !$0.isEmpty } : [] }
        self.literals = kept.map { literals[$0] }
        let usable = self.literals.enumerated().filter { $0.element.count >= 4 }
        short = self.literals.enumerated().filter { $0.element.count < 4 }.map { i, l in
            (l, l.indices.min { LiteralSet.commonness(l[$0]) < LiteralSet.commonness(l[$1]) }!, i)
        }
        stride = max(1, (usable.map(\.element.count).min() ?? 4) - 3)
        let total = usable.reduce(0) { $0 + $1.element.count }
        let literalStorage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 8)
        literalBytes = literalStorage
        let bitStorage = UnsafeMutablePointer<UInt64>.allocate(capacity: LiteralSet.bitCount / 64)
        bitStorage.initialize(repeating: 0, count: LiteralSet.bitCount / 64)
        bits = bitStorage
        var all: [(bucket: Int, entry: Entry)] = []
        var at = 0
        let span = stride + 3
        for (index, lit) in usable {
            lit.withUnsafeBytes { (literalStorage + at).copyMemory(from: $0.baseAddress!, byteCount: lit.count) }
            let first = LiteralSet.rarestSpan(of: lit, length: span)
            for offset in first...(first + span - 4) {
                let v = UInt32(lit[offset]) | UInt32(lit[offset + 1]) << 8 | UInt32(lit[offset + 2]) << 16 | UInt32(lit[offset + 3]) << 24
                let h = LiteralSet.hash(v)
                bitStorage[h >> 6] |= 1 << UInt64(h & 63)
                var head: UInt64 = 0
                for (k, b) in lit.prefix(8).enumerated() { head |= UInt64(b) << UInt64(8 * k) }
                let headMask: UInt64 = lit.count >= 8 ? ~0 : (1 << UInt64(8 * lit.count)) - 1
                all.append((h & (LiteralSet.bucketCount - 1),
                            Entry(window: v, start: Int32(at), length: Int32(lit.count), offset: Int32(offset), index: Int32(index),
                                  head: head, headMask: headMask)))
            }
            at += lit.count
        }
        all.sort { $0.bucket < $1.bucket }
        entryCount = all.count
        entries = .allocate(capacity: max(all.count, 1))
        for (i, e) in all.enumerated() { (entries + i).initialize(to: e.entry) }
        bucketStart = .allocate(capacity: LiteralSet.bucketCount + 1)
        var k = 0
        for b in 0...LiteralSet.bucketCount {
            while k < all.count && all[k].bucket < b { k += 1 }
            bucketStart[b] = Int32(k)
        }
    }

    deinit {
        bits.deallocate(); bucketStart.deallocate(); entries.deallocate(); literalBytes.deallocate()
    }

    @inline(__always) static func window(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    /// The start of the `length`-byte stretch of `literal` whose windows are least frequent in
    /// ordinary log text (`CommonWindows`; ties: the earliest).
    static func rarestSpan(of literal: [UInt8], length: Int) -> Int {
        guard literal.count > length else { return 0 }
        var best = 0, bestScore = Int.max
        for start in 0...(literal.count - length) {
            var score = 0
            for i in start...(start + length - 4) { score += windowCounts[window(literal, i)] ?? 0 }
            if score < bestScore { best = start; bestScore = score }
        }
        return best
    }

    /// How often each of the 1 024 most frequent 4-byte windows occurred in ordinary log text
    /// (real lines of the accuracy corpus that are not pull failures, and samples/): a
    /// literal's span avoids them, so ordinary lines rarely reach the exact comparison.
    static let windowCounts: [UInt32: Int] = Dictionary(
        CommonWindows.windows.map { ($0.window, Int($0.count)) }, uniquingKeysWith: { a, _ in a })

    @inline(__always) static func hash(_ v: UInt32) -> Int {
        Int((v &* 0x9E37_79B1) >> 14) // top 18 bits
    }

    /// Calls `hit` with the start offset of literal occurrences in `buffer`, in increasing
    /// order of probe position (an occurrence may be reported more than once).
    public func forEachHit(in buffer: UnsafeRawBufferPointer, _ hit: (Int) -> Void) {
        forEachMatch(in: buffer) { _, start in hit(start) }
    }

    /// Calls `match` with the index in `literals` and the start offset of every literal
    /// occurrence in `buffer` (each literal that occurs is reported; an occurrence may be
    /// reported more than once).
    public func forEachMatch(in buffer: UnsafeRawBufferPointer, _ match: (_ literal: Int, _ start: Int) -> Void) {
        guard let base = buffer.baseAddress else { return }
        let n = buffer.count
        let step = stride
        var i = 0
        if n >= 4 {
            let last = n - 4
            while i <= last {
                let v = base.loadUnaligned(fromByteOffset: i, as: UInt32.self)
                let h = LiteralSet.hash(v)
                if bits[h >> 6] & (1 << UInt64(h & 63)) != 0 {
                    let bucket = h & (LiteralSet.bucketCount - 1)
                    var e = Int(bucketStart[bucket])
                    let end = Int(bucketStart[bucket + 1])
                    while e < end {
                        let entry = entries[e]
                        if entry.window == v {
                            let start = i - Int(entry.offset), length = Int(entry.length)
                            if start >= 0 && start + length <= n {
                                if start + 8 <= n {
                                    let head = base.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                                    if head & entry.headMask == entry.head
                                        && (length <= 8 || memcmp(base + start + 8, literalBytes + Int(entry.start) + 8, length - 8) == 0)
                                        && lineHasNeed(Int(entry.index), base: base, count: n, at: start) {
                                        match(Int(entry.index), start)
                                    }
                                } else if memcmp(base + start, literalBytes + Int(entry.start), length) == 0,
                                          lineHasNeed(Int(entry.index), base: base, count: n, at: start) {
                                    match(Int(entry.index), start)
                                }
                            }
                        }
                        e += 1
                    }
                }
                i += step
            }
        }
        guard let base = buffer.baseAddress else { return }
        for (literal, anchor, index) in short {
            let a = literal[anchor]
            var from = anchor
            while from < n, let p = memchr(base + from, Int32(a), n - from) {
                let at = base.distance(to: UnsafeRawPointer(p))
                let start = at - anchor
                if start >= 0, start + literal.count <= n,
                   literal.withUnsafeBytes({ memcmp(base + start, $0.baseAddress!, literal.count) == 0 }),
                   lineHasNeed(index, base: base, count: n, at: start) {
                    match(index, start)
                }
                from = at + 1
            }
        }
    }

    /// Whether the rest of the line from offset `at` (the literal's start) holds one of literal
    /// `index`'s needed words (always true for an unconditional literal). After the literal
    /// only: the words qualify what follows it (a request's path after `Get "http`), and a
    /// kubelet probe's line is searched from its `Get` on, not whole.
    @inline(__always)
    private func lineHasNeed(_ index: Int, base: UnsafeRawPointer, count n: Int, at: Int) -> Bool {
        let words = needs[index]
        if words.isEmpty { return true }
        let lineEnd = memchr(base + at, 0x0A, n - at).map { base.distance(to: UnsafeRawPointer($0)) } ?? n
        let line = UnsafeRawBufferPointer(start: base + at, count: lineEnd - at)
        return words.contains { w in w.withUnsafeBytes { ByteSearch.find($0, in: line) != nil } }
    }

    /// How often a byte turns up in log text, roughly (higher: more often): lower-case letters,
    /// digits, space and common punctuation above capitals; of the capitals, klog's level
    /// letters and the initials of common words (Error, Failed, Info, Warning) above the rest.
    static func commonness(_ b: UInt8) -> Int {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), 0x20: return 3
        case UInt8(ascii: "E"), UInt8(ascii: "I"), UInt8(ascii: "W"), UInt8(ascii: "F"), UInt8(ascii: "P"), UInt8(ascii: "S"),
             UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "="): return 2
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 1
        default: return 1
        }
    }

    /// True when `buffer` contains any literal.
    public func containsAny(_ buffer: UnsafeRawBufferPointer) -> Bool {
        var found = false
        forEachHit(in: buffer) { _ in found = true }
        return found
    }
}
