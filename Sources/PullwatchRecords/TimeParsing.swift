/// Timestamp grammars found in node logs, parsed from bytes.
public enum TimeParsing {
    /// Parses RFC 3339 and its common relatives at the cursor:
    /// `2025-11-22T10:00:00Z`, `...T10:00:00.123456789+01:00`, `2025-11-22 10:00:00.1Z`,
    /// `2025-11-22T10:00:00+0000` (journalctl short-iso) and Go's `... +0000 UTC`.
    /// No zone means UTC. On failure the cursor is left where it was.
    public static func rfc3339(_ c: inout ByteCursor) -> Timestamp? {
        let start = c.index
        guard let year = c.digits(min: 4, max: 4), c.consume(UInt8(ascii: "-")),
              let month = c.digits(min: 2, max: 2), c.consume(UInt8(ascii: "-")),
              let day = c.digits(min: 2, max: 2),
              c.consume(UInt8(ascii: "T")) || c.consume(UInt8(ascii: " ")) || c.consume(UInt8(ascii: "t")),
              let tod = timeOfDay(&c),
              (1...12).contains(month), day >= 1, day <= Civil.daysIn(month: month, year: year)
        else { c.index = start; return nil }
        var seconds = Civil.days(year: year, month: month, day: day) * 86_400 + tod.seconds
        // Zone: Z, +hh:mm, +hhmm, optionally after a space (Go's default format).
        let beforeZone = c.index
        _ = c.consume(UInt8(ascii: " "))
        if c.consume(UInt8(ascii: "Z")) || c.consume(UInt8(ascii: "z")) {
        } else if let sign = c.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            c.index += 1
            guard let hh = c.digits(min: 2, max: 2) else { c.index = beforeZone; return Timestamp(seconds: seconds, nanos: tod.nanos) }
            _ = c.consume(UInt8(ascii: ":"))
            let mm = c.digits(min: 2, max: 2) ?? 0
            let offset = hh * 3600 + mm * 60
            seconds += sign == UInt8(ascii: "+") ? -offset : offset
            let afterOffset = c.index
            if !(c.consume(" UTC")) { c.index = afterOffset }
        } else {
            c.index = beforeZone
        }
        return Timestamp(seconds: seconds, nanos: tod.nanos)
    }

    /// `hh:mm:ss` with optional `.fraction` (any number of digits, kept to nanoseconds).
    static func timeOfDay(_ c: inout ByteCursor) -> (seconds: Int64, nanos: Int64)? {
        let start = c.index
        guard let h = c.digits(min: 2, max: 2), c.consume(UInt8(ascii: ":")),
              let m = c.digits(min: 2, max: 2), c.consume(UInt8(ascii: ":")),
              let s = c.digits(min: 2, max: 2), h < 24, m < 60, s <= 60
        else { c.index = start; return nil }
        var nanos: Int64 = 0
        if c.peek == UInt8(ascii: ".") || c.peek == UInt8(ascii: ",") {
            c.index += 1
            var scale: Int64 = 100_000_000
            var any = false
            while let b = c.peek, b >= 0x30, b <= 0x39 {
                nanos += Int64(b - 0x30) * scale
                scale /= 10
                c.index += 1
                any = true
            }
            if !any { c.index -= 1 }
        }
        return (h * 3600 + m * 60 + s, nanos)
    }

    /// RFC 3164 / `journalctl` short: `Nov 22 10:00:00` or `Nov  2 10:00:00.123456`, yearless.
    public static func bsd(_ c: inout ByteCursor, years: YearInference) -> Timestamp? {
        let start = c.index
        guard let month = Ascii.month(&c), c.skipBlanks() > 0,
              let day = c.digits(min: 1, max: 2), c.consume(UInt8(ascii: " ")),
              let tod = timeOfDay(&c),
              let t = years.resolve(month: month, day: day, secondsOfDay: tod.seconds, nanos: tod.nanos)
        else { c.index = start; return nil }
        return t
    }

    /// Parses a whole string as RFC 3339 (or relatives), e.g. a JSON field.
    public static func rfc3339(_ s: String) -> Timestamp? {
        s.withBytes { b in
            var c = ByteCursor(b)
            return rfc3339(&c)
        }
    }
}
