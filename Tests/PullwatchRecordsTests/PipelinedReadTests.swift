import Foundation
import Testing
import PullwatchIO
import PullwatchTestSupport
@testable import PullwatchRecords

/// `Ingest.readPipelined` (framing and the gate on a second thread) against `Ingest.read`: the
/// same records, counts and errors, in the same order, for every fixture, with and without a
/// gate, with over-long lines cut, in chunks of every size, plain and gzip, and when the gzip
/// stream breaks half-way.
@Suite struct PipelinedReadTests {
    static let fixtures = ["cri-container.log", "describe-legacy.txt", "docker-json.log", "events-list.json",
                           "events-watch-pretty.json", "get-events.txt", "journal-formats.txt", "journalctl-json.txt",
                           "journalctl-short-iso.txt", "journalctl-short-precise.txt", "journalctl-short.txt"]

    func both(_ bytes: [UInt8], options: DecoderOptions = fixedOptions, gate: LiteralSet? = nil,
              chunks: [Int] = [], gzip: Bool = false) throws -> (serial: ([Record], IngestSummary), pipelined: ([Record], IngestSummary)) {
        func reader() throws -> any ByteReader {
            let raw = ChunkedReader(bytes, chunkSizes: chunks)
            return gzip ? try InputOpener.sniffGzip(raw) : raw
        }
        var a: [Record] = [], b: [Record] = []
        let sa = Ingest.read(try reader(), name: "f", options: options, gate: gate) { a.append($0) }
        let sb = Ingest.readPipelined(try reader(), name: "f", options: options, gate: gate) { b.append($0) }
        return ((a, sa), (b, sb))
    }

    @Test(arguments: fixtures)
    func everyFixtureGivesTheSameRecords(_ name: String) throws {
        let bytes = Array(try fixture(name).utf8)
        let gate = LiteralSet(["ailed", "ImagePull", "rror", "not found"].map { Array($0.utf8) })
        for g in [nil, gate] {
            for chunks in [[], [1], [7, 3, 1000]] {
                let (s, p) = try both(bytes, gate: g, chunks: chunks)
                #expect(s.0 == p.0, "\(name) chunks \(chunks)")
                #expect(s.1 == p.1, "\(name) chunks \(chunks)")
            }
        }
    }

    @Test func manyBlocksOverLongLinesAndGzip() throws {
        // Several MiB, so the ring of 4 blocks turns over many times; lines over the limit.
        var rng = SplitMix(seed: 7)
        var text = ""
        for i in 0..<40_000 {
            switch rng.next() % 40 {
            case 0..<8:
                text += "Nov 22 10:00:\(i % 60) node-\(i % 3) kubelet[1]: E1122 10:00:00.000000 1 x.go:1] \"Failed to pull image\" "
                    + "err=\"rpc error: code = NotFound desc = nginx:\(i): not found\" image=\"nginx:\(i)\"\n"
            case 8: text += String(repeating: "x", count: 4000 + Int(rng.next() % 300)) + "\n"
            default: text += "Nov 22 10:00:\(i % 60) node-\(i % 3) kubelet[1]: I1122 10:00:00.000000 1 x.go:1] ordinary line \(i)\r\n"
            }
        }
        var options = fixedOptions
        options.maxLineBytes = MaxLineBytes(4096)
        let gate = LiteralSet([Array("ailed to pull".utf8)])
        let (s, p) = try both(Array(text.utf8), options: options, gate: gate, chunks: [65_536, 1, 100_000])
        #expect(s.0 == p.0)
        #expect(s.1 == p.1)
        #expect(s.1.truncatedLines > 0 && s.0.count > 5_000 && s.1.bytes > 4 << 20)   // the ring of 4 blocks turns over
        let gz = GzipCompressor.compress(Array(text.utf8))
        let (sg, pg) = try both(gz, options: options, gate: gate, gzip: true)
        #expect(sg.0 == pg.0 && sg.1 == pg.1)
        // A stream cut half-way: the bytes before the break, then the error, in both.
        let cut = Array(gz.prefix(gz.count / 2))
        let (sc, pc) = try both(cut, options: options, gate: gate, gzip: true)
        #expect(sc.0 == pc.0 && sc.1 == pc.1)
        #expect(!pc.1.errors.isEmpty)
    }
}
