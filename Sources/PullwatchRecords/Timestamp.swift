import Foundation
/// A UTC instant with nanosecond precision, stored as nanoseconds since the Unix epoch.
///
/// Parsing is hand-written over bytes (no `DateFormatter`): it runs once per candidate line.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanoseconds: Int64

    /// The instant `nanoseconds` after the epoch.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The instant `seconds` (plus `nanos`) after the epoch.
    public init(seconds: Int64, nanos: Int64 = 0) { self.nanoseconds = seconds &* 1_000_000_000 &+ nanos }

    /// Whole seconds since the epoch (rounded down).
    public var seconds: Int64 {
        nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }

    /// RFC 3339 in UTC, with fractional seconds only when there are any (`2025-11-22T10:00:00.123Z`).
    public var description: String { rfc3339(fractionDigits: nil) }

    /// RFC 3339 in UTC; `fractionDigits` nil means "as many as needed, up to 9".
    public func rfc3339(fractionDigits: Int? = nil) -> String {
        let secs = seconds
        let frac = nanoseconds - secs * 1_000_000_000
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let daySeconds = secs - days * 86_400
        let (y, m, d) = Civil.date(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T"
            + "\(pad(daySeconds / 3600, 2)):\(pad(daySeconds / 60 % 60, 2)):\(pad(daySeconds % 60, 2))"
        var digits = fractionDigits ?? 9
        var f = frac
        if fractionDigits == nil {
            if f == 0 { digits = 0 } else {
                while digits > 0 && f % 10 == 0 { f /= 10; digits -= 1 }
            }
        } else {
            for _ in 0..<(9 - digits) { f /= 10 }
        }
        if digits > 0 { out += "." + pad(f, digits) }
        return out + "Z"
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's algorithms).
public enum Civil {
    /// Days since 1970-01-01 of the date `y-m-d`.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of `days` since 1970-01-01.
    public static func date(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Days in `month` of `year`.
    public static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// How a timestamp without a year (klog headers, syslog/`journalctl` short output) gets one.
///
/// klog prints `mmdd hh:mm:ss.uuuuuu` and RFC 3164 prints `Mmm dd hh:mm:ss`: no year, no zone.
/// The year is the reference time's year, unless that puts the instant more than one day
/// after the reference time — then it is the year before (a December log read in January).
/// The zone is taken as UTC (kubelet and the journal on nodes normally run in UTC; use
/// `journalctl --utc`, `-o short-iso` or `-o json` otherwise). When an envelope carries a
/// full timestamp (journal JSON, RFC 5424, CRI, `short-iso`), the envelope's time wins.
public struct YearInference: Sendable {
    /// The instant logs are assumed to be read at (normally "now").
    public var reference: Timestamp
    /// Whether `reference` moves with the clock as reading goes on (per block: a follow that
    /// runs for weeks dates today's yearless lines in today's year). False for a fixed
    /// reference (tests, golden outputs).
    public var followsClock = false

    /// Infers years relative to `reference`, which stays fixed.
    public init(reference: Timestamp) { self.reference = reference }

    /// Infers years relative to the clock, read again for every block.
    public static var clock: YearInference {
        var y = YearInference(reference: Timestamp(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9)))
        y.followsClock = true
        return y
    }

    /// The UTC instant for a yearless date-time.
    public func resolve(month: Int64, day: Int64, secondsOfDay: Int64, nanos: Int64) -> Timestamp? {
        guard (1...12).contains(month), day >= 1, day <= 31 else { return nil }
        let refYear = Civil.date(fromDays: reference.seconds >= 0 ? reference.seconds / 86_400 : (reference.seconds - 86_399) / 86_400).year
        var t = Timestamp(seconds: Civil.days(year: refYear, month: month, day: day) * 86_400 + secondsOfDay, nanos: nanos)
        if t.nanoseconds > reference.nanoseconds + 86_400 * 1_000_000_000 {
            t = Timestamp(seconds: Civil.days(year: refYear - 1, month: month, day: day) * 86_400 + secondsOfDay, nanos: nanos)
        }
        return t
    }
}
