import ArgumentParser
import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules

/// `pullwatch records`: show how pullwatch parsed the input, one record per line.
struct RecordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "Print the records parsed from logs, with the cause of each failed image pull.",
        discussion: """
        Reads files, directories (recursively) or standard input ('-'); gzip is detected by \
        its magic bytes. By default only records the rules classify as image-pull failures are \
        shown, each with its cause; --all shows every record. --stats only counts lines per \
        format (no parsing).
        Exit status: 0 success, 1 when some input could not be read (the rest is still shown).
        """
    )

    @Argument(help: "Files or directories; '-' for standard input (the default when stdin is piped).")
    var paths: [String] = []

    @Flag(help: "Show every record, not only pull-related ones.")
    var all = false

    @Option(help: "Output format: text or ndjson.")
    var format: OutputFormat = .text

    @Flag(help: "Count lines per sniffed format and bytes; parse nothing (ingest benchmark).")
    var stats = false

    @Option(help: "Maximum bytes kept of one line; the rest is skipped and counted.")
    var maxLineBytes: Int = MaxLineBytes.default.bytes

    @OptionGroup var rules: RuleOptions

    enum OutputFormat: String, ExpressibleByArgument { case text, ndjson }

    func run() throws {
        let discovery = InputDiscovery(paths: InputPaths.resolve(paths))
        var errors = discovery.errors
        let out = OutputBuffer()
        let options = DecoderOptions(maxLineBytes: MaxLineBytes(maxLineBytes))
        if stats {
            errors += SniffStats.run(discovery.sources, maxLineBytes: options.maxLineBytes, out: out)
        } else {
            let ruleSet = try rules.load()
            let scratch = MatchScratch()
            for source in discovery.sources {
                let summary = Ingest.read(source, options: options) { record in
                    let c = ruleSet.classify(record, scratch: scratch)
                    guard all || c != nil else { return }
                    if format == .ndjson {
                        // The record object with the classification's keys added in front.
                        let cause = c.map { RecordRendering.jsonString($0.cause.rawValue) } ?? "null"
                        let image = c?.image.map(RecordRendering.jsonString) ?? "null"
                        let registry = c?.registry.map(RecordRendering.jsonString) ?? "null"
                        out.write("{\"cause\":\(cause),\"image\":\(image),\"registry\":\(registry),")
                        out.write(String(RecordRendering.json(record).dropFirst()))
                    } else {
                        out.write("[\(c?.cause.rawValue ?? "-")] " + RecordRendering.text(record))
                    }
                    out.write("\n")
                }
                errors += summary.errors
            }
            if scratch.limitHits > 0 {
                Stderr.write("pullwatch: \(scratch.limitHits) rule matches stopped at the PCRE2 match/depth limit (counted as no match); "
                             + "check custom rules for catastrophic backtracking")
            }
        }
        out.flush()
        for e in errors { FileHandle.standardError.write(Data("pullwatch: \(e)\n".utf8)) }
        if !errors.isEmpty { throw ExitCode(1) }
    }
}

/// Path arguments: none with piped stdin means stdin.
enum InputPaths {
    static func resolve(_ paths: [String]) -> [String] {
        if paths.isEmpty {
            if isatty(0) == 0 { return ["-"] }
            FileHandle.standardError.write(Data("pullwatch: no input: give files or directories, or pipe logs on stdin\n".utf8))
            Foundation.exit(2)
        }
        return paths
    }
}

/// Counts lines per sniffed shape: decompress + frame + sniff, nothing else.
enum SniffStats {
    static func run(_ sources: [InputSource], maxLineBytes: MaxLineBytes, out: OutputBuffer) -> [InputError] {
        var counts = [Int](repeating: 0, count: FormatSniffer.Shape.allCases.count)
        var errors: [InputError] = []
        var bytes: UInt64 = 0
        var lines = 0
        let framer = LineFramer(maxLineBytes: maxLineBytes)
        for source in sources {
            do {
                let reader = try InputOpener.open(source)
                try framer.frame(reader) { block in
                    block.forEachLine { line in
                        let shape = FormatSniffer.sniff(line.bytes)
                        counts[FormatSniffer.Shape.allCases.firstIndex(of: shape)!] += 1
                    }
                }
            } catch let e as GzipError {
                errors.append(InputError(source: source.description, offset: e.offset, message: e.description))
            } catch {
                errors.append(InputError(source: source.description, message: "\(error)"))
            }
        }
        bytes = framer.stats.bytes
        lines = framer.stats.lines
        out.write("bytes \(bytes)\nlines \(lines)\n")
        for (i, shape) in FormatSniffer.Shape.allCases.enumerated() where counts[i] > 0 {
            out.write("\(shape.rawValue) \(counts[i])\n")
        }
        return errors
    }
}

/// Buffered stdout (one write per 64 KiB, not per record).
final class OutputBuffer {
    private var buffer: [UInt8] = []
    init() { buffer.reserveCapacity(1 << 16) }
    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }
    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
