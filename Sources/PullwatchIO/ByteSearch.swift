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

    /// Offset of the last `byte` in `buffer` (glibc's memrchr), or nil.
    @inlinable
    public static func last(_ byte: UInt8, in buffer: UnsafeRawBufferPointer) -> Int? {
        guard let b = buffer.baseAddress, buffer.count > 0, let hit = memrchr(b, Int32(byte), buffer.count) else { return nil }
        return UnsafeRawPointer(hit) - b
    }
}
