import Testing
import PullwatchIO
import PullwatchTestSupport

/// Reads everything a reader yields; returns the bytes and the error that ended it, if any.
func drain(_ reader: any ByteReader, chunk: Int = 4096) -> ([UInt8], (any Error)?) {
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: chunk)
    while true {
        do {
            let n = try buf.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { return (out, nil) }
            out += buf[..<n]
        } catch {
            return (out, error)
        }
    }
}

func lines(_ count: Int, prefix: String = "line") -> [UInt8] {
    Array((1...count).map { "\(prefix) \($0) lorem ipsum dolor sit amet\n" }.joined().utf8)
}

let engines: [InflateEngine] = [.isal, .zlib]

@Suite struct GzipReaderTests {
    @Test(arguments: engines) func decodesOneMember(_ engine: InflateEngine) throws {
        let text = lines(1000)
        let (out, err) = drain(GzipReader(ChunkedReader(GzipCompressor.compress(text)), engine: engine))
        #expect(err == nil)
        #expect(out == text)
    }

    @Test(arguments: engines) func decodesEveryMemberOfAConcatenatedFile(_ engine: InflateEngine) throws {
        let a = lines(500, prefix: "a"), b = lines(300, prefix: "b"), c = [UInt8]()
        let gz = GzipCompressor.compress(a) + GzipCompressor.compress(c) + GzipCompressor.compress(b)
        let reader = GzipReader(ChunkedReader(gz, chunkSizes: [7, 1, 300]), engine: engine)
        let (out, err) = drain(reader, chunk: 33)
        #expect(err == nil)
        #expect(out == a + b)
        #expect(reader.membersCompleted == 3)
    }

    @Test(arguments: engines) func ignoresTrailingZeroPadding(_ engine: InflateEngine) {
        let text = lines(10)
        let padded = GzipCompressor.compress(text) + [UInt8](repeating: 0, count: 1000)
        let (out, err) = drain(GzipReader(ChunkedReader(padded), engine: engine))
        #expect(err == nil)
        #expect(out == text)
    }

    @Test(arguments: engines) func reportsTrailingGarbageWithItsOffset(_ engine: InflateEngine) {
        let gz = GzipCompressor.compress(lines(10))
        let (out, err) = drain(GzipReader(ChunkedReader(gz + Array("junk".utf8)), engine: engine))
        #expect(out == lines(10))
        #expect(err as? GzipError == .trailingGarbage(offset: UInt64(gz.count)))
    }

    @Test(arguments: engines) func truncatedMemberKeepsEverythingDecodedBeforeIt(_ engine: InflateEngine) {
        let text = lines(20000)
        let gz = GzipCompressor.compress(text)
        let cut = Array(gz[..<(gz.count / 2)])
        let (out, err) = drain(GzipReader(ChunkedReader(cut), engine: engine))
        guard case .truncated(let offset, let start)? = err as? GzipError else {
            Issue.record("expected truncation, got \(String(describing: err))"); return
        }
        #expect(offset == UInt64(cut.count))
        #expect(start == 0)
        #expect(out.count > text.count / 4)
        #expect(Array(text[..<out.count]) == out)
    }

    @Test(arguments: engines) func corruptMemberNamesTheOffsetAndKeepsTheFirstMember(_ engine: InflateEngine) {
        let first = GzipCompressor.compress(lines(100, prefix: "good"))
        var second = GzipCompressor.compress(lines(5000, prefix: "bad"))
        for i in 40..<60 { second[i] ^= 0x5A }
        let (out, err) = drain(GzipReader(ChunkedReader(first + second), engine: engine))
        #expect(Array(out.prefix(lines(100, prefix: "good").count)) == lines(100, prefix: "good"))
        let e = err as? GzipError
        #expect(e != nil)
        if let e {
            #expect(e.offset >= UInt64(first.count) && e.offset <= UInt64(first.count + second.count))
            #expect(e.description.contains("offset"))
        }
    }

    @Test(arguments: engines) func ratioLimitRefusesABomb(_ engine: InflateEngine) {
        let bomb = GzipCompressor.compress([UInt8](repeating: 0x41, count: 50 << 20), level: 9)
        let limit = DecompressionRatioLimit.maxRatio(100, minimumBytes: 1 << 20)
        let (out, err) = drain(GzipReader(ChunkedReader(bomb), ratioLimit: limit, engine: engine), chunk: 1 << 16)
        guard case .ratioExceeded? = err as? GzipError else { Issue.record("no ratio error: \(String(describing: err))"); return }
        #expect(out.count < 50 << 20)
    }

    @Test(arguments: engines) func sameBytesWhateverTheChunking(_ engine: InflateEngine) {
        let text = lines(3000)
        let gz = GzipCompressor.compress(Array(text[..<50000])) + GzipCompressor.compress(Array(text[50000...]))
        var rng = SystemRandomNumberGenerator()
        let random = (0..<50).map { _ in Int.random(in: 1...700, using: &rng) }
        for sizes in [[], [1], random] {
            let (out, err) = drain(GzipReader(ChunkedReader(gz, chunkSizes: sizes), inputBufferSize: 64, engine: engine), chunk: 97)
            #expect(err == nil)
            #expect(out == text)
        }
    }

    /// Push mode (the sink's bodies): input pushed in parts, read until `InputPending` after
    /// each; the same bytes and the same errors as reading the whole stream.
    static func pushDecode(_ gz: [UInt8], parts: [Int], engine: InflateEngine, ratioLimit: DecompressionRatioLimit = .unlimited)
        -> ([UInt8], (any Error)?, pendings: Int) {
        let input = PushReader()
        let reader = GzipReader(input, ratioLimit: ratioLimit, inputBufferSize: 64, engine: engine)
        var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: 97), at = 0, k = 0, pendings = 0
        func readAll() -> (any Error)? {
            while true {
                do {
                    let n = try buf.withUnsafeMutableBytes { try reader.read(into: $0) }
                    if n == 0 { return nil }
                    out += buf[..<n]
                } catch is InputPending {
                    pendings += 1
                    return nil
                } catch {
                    return error
                }
            }
        }
        while at < gz.count {
            let n = parts.isEmpty ? gz.count : min(parts[k % parts.count], gz.count - at)
            k += 1
            gz.withUnsafeBytes { input.push(UnsafeRawBufferPointer(rebasing: $0[at..<(at + n)])) }
            at += n
            if let e = readAll() { return (out, e, pendings) }
        }
        input.finish()
        return (out, readAll(), pendings)
    }

    @Test(arguments: engines) func pushModeGivesTheSameBytesWhateverTheParts(_ engine: InflateEngine) {
        let text = lines(3000)
        let gz = GzipCompressor.compress(Array(text[..<50000])) + GzipCompressor.compress(Array(text[50000...]))
        var rng = SystemRandomNumberGenerator()
        let random = (0..<50).map { _ in Int.random(in: 1...700, using: &rng) }
        for parts in [[], [1], [3, 1, 64], random] {
            let (out, err, pendings) = Self.pushDecode(gz, parts: parts, engine: engine)
            #expect(err == nil)
            #expect(out == text)
            if parts == [1] { #expect(pendings > 1000) }
        }
    }

    @Test(arguments: engines) func pushModeReportsTruncationOnlyAtTheEnd(_ engine: InflateEngine) {
        let text = lines(20000)
        let gz = GzipCompressor.compress(text)
        let cut = Array(gz[..<(gz.count / 2)])
        let (out, err, _) = Self.pushDecode(cut, parts: [1000], engine: engine)
        #expect(err as? GzipError == .truncated(offset: UInt64(cut.count), memberStart: 0))
        #expect(out.count > text.count / 4 && Array(text[..<out.count]) == out)
        // Garbage after a member and a bomb are reported as when pulling.
        let (_, garbage, _) = Self.pushDecode(GzipCompressor.compress(lines(10)) + Array("junk".utf8), parts: [5], engine: engine)
        #expect(garbage as? GzipError == .trailingGarbage(offset: UInt64(GzipCompressor.compress(lines(10)).count)))
        let bomb = GzipCompressor.compress([UInt8](repeating: 0x41, count: 20 << 20), level: 9)
        let (_, ratio, _) = Self.pushDecode(bomb, parts: [4096], engine: engine, ratioLimit: .maxRatio(100, minimumBytes: 1 << 20))
        guard case .ratioExceeded? = ratio as? GzipError else { Issue.record("no ratio error: \(String(describing: ratio))"); return }
    }

    @Test func openerSniffsGzipByMagicNotName() throws {
        let text = lines(5)
        let viaGzip = try InputOpener.sniffGzip(ChunkedReader(GzipCompressor.compress(text), chunkSizes: [1]))
        #expect(drain(viaGzip).0 == text)
        let plain = try InputOpener.sniffGzip(ChunkedReader(text, chunkSizes: [1]))
        #expect(drain(plain).0 == text)
        let oneByte = try InputOpener.sniffGzip(ChunkedReader([0x1f]))
        #expect(drain(oneByte).0 == [0x1f])
    }
}

/// ISA-L (the default) against zlib (the reference) on good and damaged gzip data.
@Suite struct InflateDifferentialTests {
    static func kind(_ e: (any Error)?) -> String {
        switch e as? GzipError {
        case nil: return e == nil ? "none" : "other"
        case .truncated?: return "truncated"
        case .corrupt?: return "corrupt"
        case .trailingGarbage?: return "trailing"
        case .ratioExceeded?: return "ratio"
        }
    }

    /// Whole streams give the same bytes; damaged ones end in the same kind of error at the
    /// same place (truncation, garbage) or in the same member (corruption), and what each
    /// returned before it is the same decoded stream (one a prefix of the other).
    @Test func bothEnginesAgree() {
        var rng = SplitMix(seed: 7)
        let a = lines(4000, prefix: "alpha"), b = lines(700, prefix: "beta")
        let members = [GzipCompressor.compress(a, level: 1), GzipCompressor.compress([]), GzipCompressor.compress(b, level: 9)]
        let whole = members.joined().map { $0 }
        var cases: [[UInt8]] = [whole, whole + [0, 0, 0], whole + Array("junk".utf8), Array(whole.prefix(1)), []]
        for _ in 0..<60 {
            var damaged = whole
            switch rng.next() % 3 {
            case 0: damaged = Array(damaged.prefix(Int(rng.next() % UInt64(whole.count))))
            case 1: damaged[Int(rng.next() % UInt64(whole.count))] ^= UInt8(1 << (rng.next() % 8))
            default:
                let at = Int(rng.next() % UInt64(whole.count))
                for i in at..<min(at + 16, whole.count) { damaged[i] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            cases.append(damaged)
        }
        for (n, gz) in cases.enumerated() {
            let chunks = [Int(rng.next() % 500) + 1, Int(rng.next() % 9000) + 1]
            let (i, ie) = drain(GzipReader(ChunkedReader(gz, chunkSizes: chunks), inputBufferSize: 4096, engine: .isal), chunk: 1 << 14)
            let (z, ze) = drain(GzipReader(ChunkedReader(gz, chunkSizes: chunks), inputBufferSize: 4096, engine: .zlib), chunk: 1 << 14)
            #expect(Self.kind(ie) == Self.kind(ze), "case \(n): isal \(String(describing: ie)), zlib \(String(describing: ze))")
            if ie == nil && ze == nil { #expect(i == z, "case \(n)") }
            let shorter = min(i.count, z.count)
            #expect(i.prefix(shorter) == z.prefix(shorter), "case \(n)")
            switch (ie as? GzipError, ze as? GzipError) {
            case (.truncated(let o1, let s1)?, .truncated(let o2, let s2)?):
                #expect(o1 == o2 && s1 == s2, "case \(n)")
                #expect(i.count == z.count, "case \(n): isal returned \(i.count) bytes before the cut, zlib \(z.count)")
            case (.trailingGarbage(let o1)?, .trailingGarbage(let o2)?): #expect(o1 == o2, "case \(n)")
            default: break
            }
        }
    }
}
