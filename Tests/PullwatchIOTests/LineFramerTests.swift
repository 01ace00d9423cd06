import Testing
import PullwatchIO
import PullwatchTestSupport

func frame(_ reader: any ByteReader, maxLineBytes: MaxLineBytes = .default) -> ([FramedLine], FramingStats, (any Error)?) {
    let framer = LineFramer(maxLineBytes: maxLineBytes)
    var out: [FramedLine] = []
    var failure: (any Error)?
    do {
        try framer.frame(reader) { block in
            var count = 0
            block.forEachLine { line in
                out.append(FramedLine(bytes: Array(line.bytes), number: line.number, truncated: line.truncated))
                count += 1
            }
            #expect(count == block.lineCount)
        }
    } catch { failure = error }
    return (out, framer.stats, failure)
}

@Suite struct LineFramerTests {
    @Test func deliversAFinalLineWithoutNewlineAndStripsCR() {
        let (out, stats, _) = frame(ChunkedReader(Array("a\r\nb\n\nlast".utf8)))
        #expect(out.map { String(decoding: $0.bytes, as: UTF8.self) } == ["a", "b", "", "last"])
        #expect(out.map(\.number) == [1, 2, 3, 4])
        #expect(stats.lines == 4)
        #expect(stats.bytes == 10)
    }

    @Test func keepsInvalidUTF8AndBinaryBytesAsTheyAre() {
        let junk: [UInt8] = [0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a, 0x80, 0x81, 0x0a]
        let (out, _, _) = frame(ChunkedReader(junk))
        #expect(out.map(\.bytes) == [[0xff, 0xfe, 0x00, 0xc3, 0x28], [0x80, 0x81]])
    }

    @Test func cutsAnOverlongLineCountsTheRestAndGoesOn() {
        let long = [UInt8](repeating: 0x78, count: 20 << 20)
        let input = Array("before\n".utf8) + long + Array("\nafter\n".utf8)
        let (out, stats, _) = frame(ChunkedReader(input, chunkSizes: [1 << 16]))
        #expect(out.count == 3)
        #expect(out[0].bytes == Array("before".utf8))
        #expect(out[1].truncated)
        #expect(out[1].bytes.count == MaxLineBytes.default.bytes)
        #expect(out[2].bytes == Array("after".utf8))
        #expect(out[2].number == 3)
        #expect(stats.truncatedLines == 1)
        #expect(stats.skippedBytes == UInt64(long.count - MaxLineBytes.default.bytes))
    }

    @Test func smallLimitAtTheEdges() {
        let limit = MaxLineBytes(16)
        let exact = String(repeating: "a", count: 16), over = String(repeating: "b", count: 17)
        let (out, stats, _) = frame(ChunkedReader(Array("\(exact)\n\(over)\nok\n\(over)".utf8), chunkSizes: [5]), maxLineBytes: limit)
        #expect(out.map { String(decoding: $0.bytes, as: UTF8.self) } == [exact, String(over.prefix(16)), "ok", String(over.prefix(16))])
        #expect(out.map(\.truncated) == [false, true, false, true])
        #expect(stats.truncatedLines == 2)
        #expect(stats.skippedBytes == 2)
    }

    @Test func identicalLinesWholeByteByByteAndInRandomChunks() {
        var rng = SystemRandomNumberGenerator()
        var input: [UInt8] = []
        for i in 0..<2000 {
            let len = Int.random(in: 0...300, using: &rng)
            input += (0..<len).map { _ in UInt8.random(in: 0x20...0x7e, using: &rng) }
            input += i % 7 == 0 ? [0x0d, 0x0a] : [0x0a]
        }
        input += Array("tail".utf8)
        let limit = MaxLineBytes(200)
        let whole = frame(ChunkedReader(input), maxLineBytes: limit)
        let bytewise = frame(ChunkedReader(input, chunkSizes: [1]), maxLineBytes: limit)
        let random = frame(ChunkedReader(input, chunkSizes: (0..<100).map { _ in Int.random(in: 1...1000, using: &rng) }),
                           maxLineBytes: limit)
        #expect(whole.0 == bytewise.0)
        #expect(whole.0 == random.0)
        #expect(whole.1 == bytewise.1)
        #expect(whole.1 == random.1)
        #expect(whole.0.count == 2001)
    }

    @Test func deliversWhatWasReadBeforeAnError() {
        final class Failing: ByteReader {
            var sent = false
            func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
                if sent { throw IOFailure.read(errno: 5, offset: 9) }
                sent = true
                let bytes = Array("one\ntwo".utf8)
                buffer.copyBytes(from: bytes)
                return bytes.count
            }
        }
        let (out, _, err) = frame(Failing())
        #expect(out.map { String(decoding: $0.bytes, as: UTF8.self) } == ["one", "two"])
        #expect(err != nil)
    }

    @Test func gzipAndFramingTogetherWhateverTheChunking() {
        let text = lines(5000)
        let gz = GzipCompressor.compress(Array(text[..<1234])) + GzipCompressor.compress(Array(text[1234...]))
        let a = frame(GzipReader(ChunkedReader(gz)))
        let b = frame(GzipReader(ChunkedReader(gz, chunkSizes: [1])))
        let c = frame(GzipReader(ChunkedReader(gz, chunkSizes: [3, 1000, 17])))
        #expect(a.0 == b.0 && a.0 == c.0)
        #expect(a.0.count == 5000)
    }

    /// The shared framer verifier over both ways in: `feed` with the stream's chunks, and
    /// `frame` over a reader that returns them one read at a time.
    @Test(arguments: [16, 200, 5000])
    func theFramerVerifierHoldsForFeedAndFrame(_ limit: Int) {
        let input = FramerVerifier.sampleInput(lines: 1500, limit: limit)
        let expected = FramerVerifier.expected(input, limit: limit)
        func lines(of block: LineBlock, into out: inout [FramedLine]) {
            block.forEachLine { out.append(FramedLine(bytes: Array($0.bytes), number: $0.number, truncated: $0.truncated)) }
        }
        let fed = FramerVerifier.verify(input, expected: expected) { chunks in
            let framer = LineFramer(maxLineBytes: MaxLineBytes(limit))
            var out: [FramedLine] = []
            var offsets: [UInt64] = []
            var fed: UInt64 = 0
            for c in chunks {
                c.withUnsafeBytes { framer.feed($0) { block in offsets.append(block.offset); lines(of: block, into: &out) } }
                fed += UInt64(c.count)
                #expect(framer.fedOffset == fed)
            }
            framer.finish { block in lines(of: block, into: &out) }
            #expect(framer.offset == UInt64(input.count))
            #expect(offsets == offsets.sorted())
            return out
        }
        #expect(fed.isEmpty, "\(fed)")
        let read = FramerVerifier.verify(input, expected: expected) { chunks in
            var out: [FramedLine] = []
            let reader = ChunkedReader(chunks.flatMap { $0 }, chunkSizes: chunks.map(\.count))
            try? LineFramer(maxLineBytes: MaxLineBytes(limit)).frame(reader) {
                lines(of: $0, into: &out)
            }
            return out
        }
        #expect(read.isEmpty, "\(read)")
    }

    @Test func offsetsAreWhereEachBlockAndTheUnfinishedLineStart() {
        let framer = LineFramer(maxLineBytes: MaxLineBytes(16), offset: 100, firstLine: 7)
        var seen: [(UInt64, Int, Int)] = []
        Array("ab\ncd\nef".utf8).withUnsafeBytes { framer.feed($0) { seen.append(($0.offset, $0.firstLineNumber, $0.lineCount)) } }
        #expect(seen.map(\.0) == [100] && seen.map(\.1) == [7] && seen.map(\.2) == [2])
        #expect(framer.offset == 106 && framer.fedOffset == 108 && framer.carried == 2)
        Array("gh\n".utf8).withUnsafeBytes { framer.feed($0) { seen.append(($0.offset, $0.firstLineNumber, $0.lineCount)) } }
        #expect(seen.last!.0 == 106 && seen.last!.1 == 9 && framer.offset == 111 && framer.nextLine == 10)
    }
}

/// A literal with `needs` counts only in a line that also holds one of those words.
@Suite struct ConditionalLiteralTests {
    @Test func aConditionalLiteralCountsOnlyWithItsWordInTheSameLine() {
        let set = LiteralSet([Array(#"Get "http:"#.utf8), Array("no such host".utf8)],
                             needs: [[Array("v2".utf8), Array("token".utf8)], []])
        func literals(_ text: String) -> [Int] {
            var found: [Int] = []
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { set.forEachMatch(in: $0) { i, _ in found.append(i) } }
            return found.sorted()
        }
        // A probe: the literal is there, no registry path in its line.
        #expect(literals(#"probe output="Get "http://10.0.0.5:8080/healthz": refused""#) == [])
        #expect(literals(#"Get "http://reg:5000/v2/": EOF"#) == [0])
        // The needed word must be in the same line, not the next or the previous one.
        #expect(literals("Get \"http://10.0.0.5:8080/x\"\nGET /v2/ 200\n") == [])
        #expect(literals("v2 before\nGet \"http://10.0.0.5:8080/x\"") == [])
        // After the literal: a word before it in the line does not count.
        #expect(literals("token=1 Get \"http://10.0.0.5:8080/healthz\": refused") == [])
        #expect(literals("a\nGet \"http://reg/token?scope=x\": no such host\nb") == [0, 1])
        // Unconditional literals are unaffected.
        #expect(literals("lookup reg: no such host") == [1])
    }
}
