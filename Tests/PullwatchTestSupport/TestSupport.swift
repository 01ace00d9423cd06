// Helpers shared by the test targets (a target of its own: test targets cannot import each other).
import Foundation
import PullwatchRecords
import PullwatchState

/// A seeded generator (SplitMix64): random tests that repeat exactly.
public struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A state database in a fresh temporary directory, and the directory.
public func tempStore() throws -> (StateStore, String) {
    let dir = NSTemporaryDirectory() + "pullwatch-test-\(UUID().uuidString)"
    return (try StateStore(directory: dir), dir)
}

/// A record of `line` on node-a at `seconds`.
public func record(_ line: String, at seconds: Int64) -> Record {
    var r = Record(message: line)
    r.timestamp = Timestamp(seconds: seconds)
    r.node = "node-a"
    return r
}

/// A kubelet event's tag_not_found failure.
public let failure = #"Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = "#
    + #"failed to pull and unpack image "docker.io/library/nginx:1.99": "#
    + #"failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found"#

/// One line as a framer delivered it.
public struct FramedLine: Equatable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]
    public var number: Int
    public var truncated: Bool
    public init(bytes: [UInt8], number: Int, truncated: Bool) { self.bytes = bytes; self.number = number; self.truncated = truncated }
    public var description: String { "\(number)\(truncated ? " (cut)" : ""): \(String(decoding: bytes, as: UTF8.self))" }
}

/// The one verifier every framer goes through (the line framer, each follow source, the sink's
/// bodies, syslog): the same input whole, byte by byte and in random chunks must give the same
/// lines, and those must be the model's — split at `\n`, a `\r` before it dropped, a line over
/// the limit cut to it (marked), the rest of it skipped, a last line without `\n` kept.
public enum FramerVerifier {
    /// The model's lines of `input` (`dropEmpty`: a framer that never delivers empty lines).
    public static func expected(_ input: [UInt8], limit: Int, dropEmpty: Bool = false) -> [FramedLine] {
        var out: [FramedLine] = []
        var pieces = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if input.last == 0x0A || input.isEmpty { pieces.removeLast() }
        for (i, piece) in pieces.enumerated() {
            var bytes = piece
            let cut = bytes.count > limit
            if cut { bytes = Array(bytes.prefix(limit)) }
            if bytes.last == 0x0D { bytes.removeLast() }
            if dropEmpty && bytes.isEmpty { continue }
            out.append(FramedLine(bytes: bytes, number: i + 1, truncated: cut))
        }
        return out
    }

    /// The input whole, byte by byte, and in random chunks of 1 to 700 bytes.
    public static func chunkings(_ input: [UInt8], seed: UInt64 = 7) -> [(name: String, chunks: [[UInt8]])] {
        var rng = SplitMix(seed: seed)
        var random: [[UInt8]] = []
        var at = 0
        while at < input.count {
            let n = min(input.count - at, Int.random(in: 1...700, using: &rng))
            random.append(Array(input[at..<at + n]))
            at += n
        }
        return [("whole", [input]), ("byte by byte", input.map { [$0] }), ("random chunks", random)]
    }

    /// Lines of printable ASCII (0 to 300 bytes, some over `limit`), some empty, some ending in
    /// `\r\n`, the last one without a newline. Lines start with a letter and never look like
    /// JSON or a known log format, so a decoder passes them through as messages.
    public static func sampleInput(lines: Int, limit: Int, seed: UInt64 = 11) -> [UInt8] {
        var rng = SplitMix(seed: seed)
        var out: [UInt8] = []
        for i in 0..<lines {
            let kind = Int.random(in: 0..<20, using: &rng)
            let length = kind == 0 ? 0
                : kind == 1 ? Int.random(in: limit + 1...limit * 3, using: &rng)
                : Int.random(in: 1...min(300, limit), using: &rng)
            if length > 0 {
                out.append(UInt8(ascii: "q"))
                out += (1..<length).map { _ in UInt8.random(in: 0x61...0x7a, using: &rng) }
            }
            if i < lines - 1 { out += kind == 2 ? [0x0D, 0x0A] : [0x0A] }
        }
        return out
    }

    /// Runs `frame` over every chunking of `input`; returns what differs from `expected` (or,
    /// without one, from the whole input's lines). Empty when the framer holds.
    public static func verify(_ input: [UInt8], expected: [FramedLine]?, seed: UInt64 = 7,
                              _ frame: (_ chunks: [[UInt8]]) throws -> [FramedLine]) rethrows -> [String] {
        var problems: [String] = []
        var reference = expected
        for (name, chunks) in chunkings(input, seed: seed) {
            let got = try frame(chunks)
            guard let want = reference else { reference = got; continue }
            if got != want {
                let i = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
                let gotLine = i < got.count ? String(got[i].description.prefix(80)) : "none"
                let wantLine = i < want.count ? String(want[i].description.prefix(80)) : "none"
                problems.append("\(name): \(got.count) lines, expected \(want.count); first difference at \(i): \(gotLine) vs \(wantLine)")
            }
        }
        return problems
    }
}
