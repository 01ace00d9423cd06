import Testing
import PullwatchIO

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

@Suite struct GzipReaderTests {
    @Test func decodesOneMember() throws {
        let text = lines(1000)
        let (out, err) = drain(GzipReader(ChunkedReader(GzipCompressor.compress(text))))
        #expect(err == nil)
        #expect(out == text)
    }

    @Test func decodesEveryMemberOfAConcatenatedFile() throws {
        let a = lines(500, prefix: "a"), b = lines(300, prefix: "b"), c = [UInt8]()
        let gz = GzipCompressor.compress(a) + GzipCompressor.compress(c) + GzipCompressor.compress(b)
        let reader = GzipReader(ChunkedReader(gz, chunkSizes: [7, 1, 300]))
        let (out, err) = drain(reader, chunk: 33)
        #expect(err == nil)
        #expect(out == a + b)
        #expect(reader.membersCompleted == 3)
    }

    @Test func ignoresTrailingZeroPadding() {
        let text = lines(10)
        let (out, err) = drain(GzipReader(ChunkedReader(GzipCompressor.compress(text) + [UInt8](repeating: 0, count: 1000))))
        #expect(err == nil)
        #expect(out == text)
    }

    @Test func reportsTrailingGarbageWithItsOffset() {
        let gz = GzipCompressor.compress(lines(10))
        let (out, err) = drain(GzipReader(ChunkedReader(gz + Array("junk".utf8))))
        #expect(out == lines(10))
        #expect(err as? GzipError == .trailingGarbage(offset: UInt64(gz.count)))
    }

    @Test func truncatedMemberKeepsEverythingDecodedBeforeIt() {
        let text = lines(20000)
        let gz = GzipCompressor.compress(text)
        let cut = Array(gz[..<(gz.count / 2)])
        let (out, err) = drain(GzipReader(ChunkedReader(cut)))
        guard case .truncated(let offset, let start)? = err as? GzipError else {
            Issue.record("expected truncation, got \(String(describing: err))"); return
        }
        #expect(offset == UInt64(cut.count))
        #expect(start == 0)
        #expect(out.count > text.count / 4)
        #expect(Array(text[..<out.count]) == out)
    }

    @Test func corruptMemberNamesTheOffsetAndKeepsTheFirstMember() {
        let first = GzipCompressor.compress(lines(100, prefix: "good"))
        var second = GzipCompressor.compress(lines(5000, prefix: "bad"))
        for i in 40..<60 { second[i] ^= 0x5A }
        let (out, err) = drain(GzipReader(ChunkedReader(first + second)))
        #expect(Array(out.prefix(lines(100, prefix: "good").count)) == lines(100, prefix: "good"))
        let e = err as? GzipError
        #expect(e != nil)
        if let e {
            #expect(e.offset >= UInt64(first.count) && e.offset <= UInt64(first.count + second.count))
            #expect(e.description.contains("offset"))
        }
    }

    @Test func ratioLimitRefusesABomb() {
        let bomb = GzipCompressor.compress([UInt8](repeating: 0x41, count: 50 << 20), level: 9)
        let (out, err) = drain(GzipReader(ChunkedReader(bomb), ratioLimit: .maxRatio(100, minimumBytes: 1 << 20)), chunk: 1 << 16)
        guard case .ratioExceeded? = err as? GzipError else { Issue.record("no ratio error: \(String(describing: err))"); return }
        #expect(out.count < 50 << 20)
    }

    @Test func sameBytesWhateverTheChunking() {
        let text = lines(3000)
        let gz = GzipCompressor.compress(Array(text[..<50000])) + GzipCompressor.compress(Array(text[50000...]))
        var rng = SystemRandomNumberGenerator()
        let random = (0..<50).map { _ in Int.random(in: 1...700, using: &rng) }
        for sizes in [[], [1], random] {
            let (out, err) = drain(GzipReader(ChunkedReader(gz, chunkSizes: sizes), inputBufferSize: 64), chunk: 97)
            #expect(err == nil)
            #expect(out == text)
        }
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
