import Testing
import Foundation
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
    /// ISA-L hands back, at a member's end, the bytes left in its bit buffer, which it may have
    /// taken in an earlier call: fed a few bytes at a time, the next member (or the junk after
    /// the last) must still be read from them.
    @Test func membersFedAFewBytesAtATime() {
        let a = lines(300, prefix: "alpha"), b = lines(40, prefix: "beta")
        let two = GzipCompressor.compress(a, level: 6) + GzipCompressor.compress(b, level: 1)
        for gz in [two, two + Array("junk".utf8), two + [0, 0]] {
            for chunk in 1...48 {
                let (i, ie) = drain(GzipReader(ChunkedReader(gz, chunkSizes: [chunk]), engine: .isal), chunk: 4096)
                let (z, ze) = drain(GzipReader(ChunkedReader(gz, chunkSizes: [chunk]), engine: .zlib), chunk: 4096)
                #expect(i == a + b && z == a + b, "chunk \(chunk)")
                #expect(Self.kind(ie) == Self.kind(ze), "chunk \(chunk): isal \(String(describing: ie)), zlib \(String(describing: ze))")
                if case .trailingGarbage(let o1)? = ie as? GzipError, case .trailingGarbage(let o2)? = ze as? GzipError {
                    #expect(o1 == o2 && o1 == UInt64(two.count), "chunk \(chunk)")
                }
            }
        }
    }

    /// A corrupt member the fuzzer found (Fuzz/run.sh): read 32 compressed bytes at a time
    /// through small output buffers, ISA-L handed back bytes it had taken in an earlier call and
    /// the offset arithmetic overflowed. It must end in an error with its offset, not a crash.
    @Test func aCorruptMemberReadInSmallPiecesEndsInAnError() throws {
        let gz = Array(Data(base64Encoded: Self.fuzzFound)!)
        for out in [1, 7, 64, 4096] {
            let reader = try InputOpener.sniffGzip(ChunkedReader(gz, chunkSizes: [32]), ratioLimit: .network)
            let (_, error) = drain(reader, chunk: out)
            guard case .corrupt(_, _, let offset)? = error as? GzipError else {
                Issue.record("output \(out): \(String(describing: error))"); continue
            }
            #expect(offset > 0 && offset < UInt64(gz.count), "output \(out)")
        }
    }

    static let fuzzFound =
        "H4sIAAAAAAAAA+VY227cyBF9z1cQfLKBnVHfLwMISGIbiYCFY9heB4hlGH2plhjNDGdJjrzKYv89h3OzLMnyZVd5yUAQNGQXebrq"
        + "9KlTet5eVkJUnM3Y+DOVSghvqmY14WzCJnLiqtQuh9AsqctvrXfvZtXQLOi4FkyYCecTIV7fiHbS/6uu5nRJ8+NmWdpq0Z8d1y/W"
        + "8/nJIpxRdVp3dNb0Q3c1vXD9tGmPVmHd00xO/Wld/+n5/xQS5ar5MqrqQzOc7xY2GWv78yC0mVHQRFqmkCSxqGMSnlvLvEqchGHS"
        + "5RCLcSQoWmmFE4WCs5qslkYTV6f1D1VHq7Yawtn9CHbrcnNG/fC5pX/ewTIpSGeBJxTyMXPBks5cA5ywSVnmfCzSBCGK5KrkqGRS"
        + "LiZrVEo5lc3r+uY/Y1Ks45xZJZCDZlm5qZfSatffLpMWkhn7vWXaRiurvsCcn9fharPdrl3QcE7r/tqfs0sx1WrK72LRw8K7xqKv"
        + "RPg5RpnAuI4G7FBBCp9yJJsLYykG5W3OfNFkX0xRGoWyLvocjMJd6xnjTGh/g1FfieYmu+4N27NMSG940jhflpHjPpAprkhtChOx"
        + "gFRGg/wyYDM+aq2Y4kwybilk5UUW11gmneLaGbdlmZoy67zjd7DMSCO8/qSMF+tIcxrecqY1injC+R0B+Iz394unZ+1MAOC7qn51"
        + "tUw/tu2qevTix2d/ezyrUN7lUJW2q1Ztrsdfx/UYNumv+oEWR///////////////////////////////////////////////////"
        + "/////////////////////////////////////////////////////////z2FLp1PSmD1du3xr/XJ03pWZ28jqhCldlxJG+of6tdX"
        + "K8KdJ3umvRpCN1DGnadhCLhjIBZRKhuRMydR8ZgkdyEUphUUxclEEnKSo/TKZp+stVxLwCimx3VYrXbPfUn9ej4c1+PL1h3VVbse"
        + "Vmtc+Pvr1y+2S3ZAtjSGgA9rpDtDkjWTd+RCG+/8dx65fbgR4o+TgQfH9PtkwKokZMzKqcQCR9l48ejprvBcbJA6gTqRF8O4ch4L"
        + "pfagaeSUpIwlyIeaGQQsm4IuGaMcOkziTFHSBXY0kAVEoTDmqJhJURCSa1zRo/EUMboszTUZ0JKjPXOzlQE95YorfZcMwP3AnX1n"
        + "M92Hw/V+gTu5TRc4btjxvIld6K6OlmfN8pcZnwp7F30eGNY1+tyP7HMMAjcUy4rJqDEIBMpKwThKAXeYk2GhSCGzwphWNNy3Na4U"
        + "rTMmQm8oQyNuMOh+EDdJ9JnVexrZRJwZ5skXD/5IxjL3WnGPWZTnJNE8otHMkrI4YEYWBpslrCGDPifE9W6ijHSCycPoyfBx/g4a"
        + "WZyUG7PdDTl+9qkc7wIOctzm9x/aDtvqN5os/Oh1n3UdTGuP8aBZno1rAOyiWa3wDca/67YaimIOLcBunP2hAwHy6HhPR+Hd1/FJ"
        + "F/rzcdL4a0gX/yhltKIRf07aUiq9YD0SvbHL4+t2jz6w7hgP2rSAjfhrcu/hyxsYcCx+VASmRcN0ir5wr+JjkHrbLz4uOtoHfuwa"
        + "ymsUwqPjG4P6qNuJddAeL7+hz+0CvqtNwxvZknyA4wgua5gQdGPFiScRkmYalh1jZRIYJdG1FUhfBOQqO/RWWJR0G763HAbmPvj/"
        + "/BT+LmAPP4V82fRt935sgv17NMfLJm/7NszQ2LfHaoV5tWumVdP367F6+8DpYa8nUIA3Yseb1adh/ax6e1ofjdBQmn7az5tEh6+T"
        + "uO7w/jin7Y3Tela9pITx4NWIalatl+PNkYWlWeYqY7Acz8sCye6uAAXT2LubuRFTCBfmhK/OzSHg/yE3Cr6X8e/U/324lfaP+l/W"
        + "fwF/pm2kpRUAAA=="

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
