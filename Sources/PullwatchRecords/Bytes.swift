/// A read cursor over a line's bytes. Parsers advance it; nothing is copied until a field
/// is kept (then it becomes a `String`).
public struct ByteCursor {
    /// The bytes being parsed.
    public let bytes: UnsafeRawBufferPointer
    /// Index of the next unread byte.
    public var index: Int

    /// A cursor at the start of `bytes`.
    @inlinable public init(_ bytes: UnsafeRawBufferPointer, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    /// True when every byte has been read.
    @inlinable public var atEnd: Bool { index >= bytes.count }
    /// The next byte, or nil at the end.
    @inlinable public var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    /// The byte `offset` past the next one, or nil.
    @inlinable public func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    /// Consumes `byte` if it is next.
    @inlinable public mutating func consume(_ byte: UInt8) -> Bool {
        if index < bytes.count && bytes[index] == byte { index += 1; return true }
        return false
    }

    /// Consumes `literal` if it comes next.
    @inlinable public mutating func consume(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard bytes.count - index >= n else { return false }
        let lit = literal.utf8Start
        for i in 0..<n where bytes[index + i] != lit[i] { return false }
        index += n
        return true
    }

    /// Consumes up to `max` ASCII digits and returns their value (nil when there are fewer than `min`).
    @inlinable public mutating func digits(min: Int, max: Int) -> Int64? {
        var value: Int64 = 0
        var count = 0
        while count < max, index < bytes.count {
            let b = bytes[index]
            guard b >= 0x30 && b <= 0x39 else { break }
            value = value * 10 + Int64(b - 0x30)
            index += 1
            count += 1
        }
        if count < min { index -= count; return nil }
        return value
    }

    /// Skips spaces and tabs; returns how many.
    @discardableResult
    @inlinable public mutating func skipBlanks() -> Int {
        let start = index
        while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x09) { index += 1 }
        return index - start
    }

    /// Consumes bytes up to (not including) the next space/tab or the end.
    @inlinable public mutating func word() -> UnsafeRawBufferPointer {
        let start = index
        while index < bytes.count && bytes[index] != 0x20 && bytes[index] != 0x09 { index += 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
    }

    /// The unread rest.
    @inlinable public var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[min(index, bytes.count)...]) }
}

extension UnsafeRawBufferPointer {
    /// The bytes as a `String` (invalid UTF-8 becomes U+FFFD; the bytes were kept until now).
    @inlinable public var string: String { String(decoding: self, as: UTF8.self) }

    /// True when the view begins with `literal`.
    @inlinable public func hasPrefix(_ literal: StaticString) -> Bool {
        var c = ByteCursor(self)
        return c.consume(literal)
    }

    /// The view without leading and trailing spaces, tabs, CR and LF.
    @inlinable public var trimmed: UnsafeRawBufferPointer {
        var s = 0, e = count
        while s < e, self[s] == 0x20 || self[s] == 0x09 || self[s] == 0x0D || self[s] == 0x0A { s += 1 }
        while e > s, self[e - 1] == 0x20 || self[e - 1] == 0x09 || self[e - 1] == 0x0D || self[e - 1] == 0x0A { e -= 1 }
        return UnsafeRawBufferPointer(rebasing: self[s..<e])
    }

    /// Index of the first occurrence of `byte` at or after `from`.
    @inlinable public func firstIndex(of byte: UInt8, from: Int = 0) -> Int? {
        var i = from
        while i < count { if self[i] == byte { return i }; i += 1 }
        return nil
    }
}

extension String {
    /// Runs `body` over the string's UTF-8 bytes without copying when possible.
    @inlinable public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

enum Ascii {
    static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Consumes a three-letter English month abbreviation; returns 1–12.
    static func month(_ c: inout ByteCursor) -> Int64? {
        for (i, m) in months.enumerated() where c.consume(m) { return Int64(i + 1) }
        return nil
    }
}
