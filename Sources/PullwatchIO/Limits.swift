/// The named limits of ingest. Each has a stated default; DESIGN.md requires every
/// limit to be named and documented (see docs/limits.md).

/// How long a single line may be before the rest of it is skipped.
public struct MaxLineBytes: Sendable, Equatable {
    /// Bytes of a line that are kept; a longer line is cut to this length, delivered
    /// marked as truncated, and the rest up to the next newline is skipped and counted.
    public var bytes: Int

    /// Keeps at most `bytes` of each line (at least 16).
    public init(_ bytes: Int) { self.bytes = max(16, bytes) }

    /// 1 MiB: far longer than any real kubelet/containerd line (a few KiB), short enough
    /// that a file of binary junk with no newline costs at most 1 MiB of memory.
    public static let `default` = MaxLineBytes(1 << 20)
}

/// Whether a decompressed stream may grow without bound relative to its compressed size.
///
/// Files on disk are trusted to be what they are (`unlimited` is their default: real log
/// archives reach ratios of 20–50×, and the output is streamed, never held). Bodies pushed
/// over the network are not: the sink uses `maxRatio` so a gzip bomb is refused early.
public enum DecompressionRatioLimit: Sendable, Equatable {
    /// No limit (the default for local files).
    case unlimited
    /// Fail once more than `minimumBytes` were produced and the output exceeds `ratio`×
    /// the compressed bytes consumed so far.
    case maxRatio(UInt64, minimumBytes: UInt64)

    /// 200× after the first 1 MiB: no real log reaches it, a bomb (1000×+) does quickly.
    public static let network = DecompressionRatioLimit.maxRatio(200, minimumBytes: 1 << 20)
}
