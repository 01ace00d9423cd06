import CZlib

/// Byte-string search over raw buffers (glibc's memmem), for the gate and other prefilters.
public enum ByteSearch {
    /// Offset of the first occurrence of `needle` in `haystack`, or nil.
    @inlinable
    public static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Int? {
        guard let h = haystack.baseAddress, let n = needle.baseAddress, needle.count <= haystack.count else {
            return needle.count == 0 ? 0 : nil
        }
        guard let hit = memmem(h, haystack.count, n, needle.count) else { return nil }
        return UnsafeRawPointer(hit) - h
    }
}
