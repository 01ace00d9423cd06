import PullwatchRecords
import PullwatchRules

/// Incident summary lines, from each cause's `summary` template in rules/causes.yaml.
/// Placeholders: {registry} {repository} {repositories} {image} {nodes} {range} {failures}
/// {attempts} {title}.
enum Summaries {
    static let fallback = "{title}: {image} on {nodes}, {range}, {failures} failures"

    static func line(_ i: Incident, repositories: [String], nodeCount: Int, rules: RuleSet) -> String {
        let info = rules.causes[i.cause]
        var s = info?.summary ?? fallback
        let repos: String
        switch repositories.count {
        case 0: repos = i.image ?? "an image"
        case 1: repos = repositories[0]
        case 2, 3: repos = repositories.joined(separator: ", ")
        default: repos = "\(repositories.count) repositories"
        }
        let nodes: String
        switch nodeCount {
        case 0: nodes = "an unnamed node"
        case 1: nodes = "node " + (i.nodes.first ?? "?")
        default: nodes = "\(nodeCount) nodes"
        }
        let values: [(String, String)] = [
            ("title", info?.title ?? i.cause.rawValue), ("registry", i.registry ?? "the registry"),
            ("repository", i.repository ?? i.image ?? "the image"), ("repositories", repos),
            ("image", i.image ?? i.repository ?? "an image"), ("nodes", nodes),
            ("range", TimeText.range(i.firstSeen, i.lastSeen)),
            ("failures", NumberText.grouped(i.records)), ("attempts", NumberText.grouped(i.attempts)),
        ]
        for (k, v) in values { s = s.replacingOccurrences(of: "{\(k)}", with: v) }
        if i.records == 1 { s = s.replacingOccurrences(of: " 1 failures", with: " 1 failure") }
        return s
    }
}

/// Times for people: UTC, minutes, the date only when it changes.
public enum TimeText {
    /// `10:02–10:41 UTC`, `2025-11-22 23:50 – 2025-11-23 00:10 UTC`, `at 10:02 UTC`, `time unknown`.
    public static func range(_ first: Int64?, _ last: Int64?) -> String {
        guard let first else { return "time unknown" }
        let a = Timestamp(nanoseconds: first).rfc3339(fractionDigits: 0)
        let b = Timestamp(nanoseconds: last ?? first).rfc3339(fractionDigits: 0)
        let (dayA, timeA) = (a.prefix(10), a.dropFirst(11).prefix(5))
        let (dayB, timeB) = (b.prefix(10), b.dropFirst(11).prefix(5))
        if a.prefix(16) == b.prefix(16) { return "at \(timeA) UTC" }
        if dayA == dayB { return "\(timeA)–\(timeB) UTC" }
        return "\(dayA) \(timeA) – \(dayB) \(timeB) UTC"
    }
}

/// Numbers for people: thousands grouped with a space (`7 318`).
public enum NumberText {
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(" ") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}
