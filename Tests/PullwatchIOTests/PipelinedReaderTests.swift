import Testing
import PullwatchIO

@Suite struct PipelinedReaderTests {
    @Test func sameBytesAsReadingDirectlyWhateverTheSizes() {
        let text = lines(20000)
        let gz = GzipCompressor.compress(text)
        for (chunk, count, readSize) in [(1 << 20, 4, 4096), (7, 2, 3), (1000, 3, 65536), (64, 8, 1)] {
            let reader = PipelinedReader(GzipReader(ChunkedReader(gz, chunkSizes: [333])), chunkSize: chunk, chunkCount: count)
            let (out, err) = drain(reader, chunk: readSize)
            #expect(err == nil)
            #expect(out == text, "chunk \(chunk) × \(count), reads of \(readSize)")
        }
    }

    @Test func anErrorComesAfterEveryByteBeforeIt() {
        let text = lines(5000)
        let gz = GzipCompressor.compress(text)
        let cut = Array(gz[..<(gz.count / 2)])
        let direct = drain(GzipReader(ChunkedReader(cut)))
        let piped = drain(PipelinedReader(GzipReader(ChunkedReader(cut)), chunkSize: 100, chunkCount: 3))
        #expect(piped.0 == direct.0)
        #expect(piped.1 as? GzipError == direct.1 as? GzipError)
        #expect(piped.1 != nil)
    }

    @Test func droppingTheReaderEarlyStopsTheThread() {
        for _ in 0..<50 {
            let reader = PipelinedReader(ChunkedReader(lines(2000), chunkSizes: [17]), chunkSize: 64, chunkCount: 2)
            var buffer = [UInt8](repeating: 0, count: 10)
            _ = buffer.withUnsafeMutableBytes { try? reader.read(into: $0) }
        }
    }

    @Test func batchPolicyPipelinesOnlyWithASpareCore() {
        #expect(InflatePipelining.forBatch(jobs: 2, files: 1) == .on)
        #expect(InflatePipelining.forBatch(jobs: 2, files: 4) == .off)
        #expect(InflatePipelining.forBatch(jobs: 1, files: 1) == .off)
        #expect(InflatePipelining.forBatch(jobs: 8, files: 3) == .on)
    }
}

@Suite struct LiteralSetTests {
    /// Every literal at every offset of a buffer, before tails of every length, in sets of every
    /// size: the placements where Debian's Vectorscan 5.4.9 loses matches
    /// (benchmarks/vectorscan-literal-misses.c) are all found.
    @Test func findsEveryPlacementInSetsOfEverySize() {
        let pool = [" Error  ", "EOF", "\" failed", "ErrImagePull", "x509: certificate", "ApplyLayer", "Back-off pulling image",
                    "toomanyrequests", "pull access denied", "manifest unknown", "no such host", "i/o timeout",
                    "ImagePullBackOff", "dial tcp", "unexpected status"].map { Array($0.utf8) }
        for size in [1, 3, 4, 5, 8, 14] {
            let set = LiteralSet(Array(pool.prefix(size)))
            for literal in pool.prefix(size) {
                for fill in [UInt8(ascii: "a"), 0x20, UInt8(ascii: "\"")] {
                    for p in 0..<90 {
                        for q in stride(from: 0, to: 24, by: 5) {
                            var buffer = [UInt8](repeating: fill, count: p) + literal + [UInt8](repeating: fill, count: q)
                            buffer.reserveCapacity(buffer.count + 64)
                            var found = false
                            buffer.withUnsafeBytes { b in set.forEachHit(in: b) { if $0 == p { found = true } } }
                            #expect(found, "size \(size): \(String(decoding: literal, as: UTF8.self)) at \(p), tail \(q)")
                            if !found { return }
                        }
                    }
                }
            }
        }
    }

    @Test func findsEveryOccurrenceWhateverItsAlignment() {
        let literals = ["x509: certificate", "\" failed", "ApplyLayer", "ErrImagePull"].map { Array($0.utf8) }
        let set = LiteralSet(literals)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var bytes = (0..<Int.random(in: 0...400, using: &rng)).map { _ in UInt8.random(in: 0x20...0x7e, using: &rng) }
            var expected: [Int] = []
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let lit = literals.randomElement(using: &rng)!
                let at = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(contentsOf: lit, at: at)
            }
            // The truth: a naive search.
            for i in bytes.indices {
                for lit in literals where i + lit.count <= bytes.count && Array(bytes[i..<(i + lit.count)]) == lit { expected.append(i) }
            }
            var found = Set<Int>()
            bytes.withUnsafeBytes { set.forEachHit(in: $0) { found.insert($0) } }
            #expect(found == Set(expected))
        }
    }
}
