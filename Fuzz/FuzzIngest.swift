// libFuzzer entry point over the ingest path: gzip sniffing and decoding, line framing,
// every record parser (JSON streams, CRI joining, tables), and image references.
// Built and run by Fuzz/run.sh (`make fuzz`).
import PullwatchIO
import PullwatchRecords
import PullwatchRules

/// The built-in rules' gate (conditional literals included), so the gated read path is fuzzed too.
private let gate = (try! RuleSet.load()).gate.search

private let options = DecoderOptions(
    years: YearInference(reference: Timestamp(seconds: 1_795_341_600)),
    maxLineBytes: MaxLineBytes(4096), maxJSONValueBytes: 1 << 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIngest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte picks a chunk size, so chunk boundaries get fuzzed too.
    let chunk = Int(bytes.first ?? 0) + 1
    if let reader = try? InputOpener.sniffGzip(ChunkedReader(bytes, chunkSizes: [chunk]), ratioLimit: .network) {
        Ingest.read(reader, name: "fuzz", options: options) { record in
            if let image = record.field("image") { _ = ImageReference.parse(image) }
        }
    }
    // The same bytes as the inside of a gzip member (valid framing around fuzzed content).
    let gz = GzipCompressor.compress(bytes, level: 1)
    Ingest.read(GzipReader(ChunkedReader(gz, chunkSizes: [chunk])), name: "fuzz-gz", options: options, gate: gate) { _ in }
    // Fuzzed bytes fed straight to the gzip decoder (corrupt headers, blocks, CRCs).
    var gzBytes: [UInt8] = [0x1f, 0x8b] + bytes
    if bytes.first.map({ $0 & 1 == 0 }) == true { gzBytes = bytes }
    Ingest.read(GzipReader(ChunkedReader(gzBytes, chunkSizes: [chunk]), ratioLimit: .network), name: "fuzz-raw", options: options) { _ in }
    // ISA-L (the default) and zlib (the reference) give the same bytes and the same kind of error.
    let isal = inflated(gzBytes, chunk: chunk, engine: .isal), zlib = inflated(gzBytes, chunk: chunk, engine: .zlib)
    let shorter = min(isal.bytes.count, zlib.bytes.count)
    precondition(isal.error == zlib.error && isal.bytes.prefix(shorter) == zlib.bytes.prefix(shorter),
                 "inflate engines disagree: isal \(isal.error) \(isal.bytes.count) bytes, zlib \(zlib.error) \(zlib.bytes.count) bytes")
    precondition(isal.error != "none" || isal.bytes == zlib.bytes, "inflate engines decode a whole stream differently")
    _ = ImageReference.parse(String(decoding: bytes.prefix(300), as: UTF8.self))
    return 0
}

/// Everything a gzip decoder yields, and the kind of error that ended it.
private func inflated(_ gz: [UInt8], chunk: Int, engine: InflateEngine) -> (bytes: [UInt8], error: String) {
    let reader = GzipReader(ChunkedReader(gz, chunkSizes: [chunk]), ratioLimit: .network, engine: engine)
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 14)
    while true {
        do {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { return (out, "none") }
            out += buffer[..<n]
        } catch let e as GzipError {
            switch e {
            case .truncated: return (out, "truncated")
            case .corrupt: return (out, "corrupt")
            case .trailingGarbage: return (out, "trailing")
            case .ratioExceeded: return (out, "ratio")
            }
        } catch {
            return (out, "other")
        }
    }
}
