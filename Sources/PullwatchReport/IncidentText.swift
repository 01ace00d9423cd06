import PullwatchAnalysis
import PullwatchRecords
import PullwatchRules

/// The words of an incident: its summary line, from the cause's `summary` template in
/// rules/causes.yaml, and its remediation steps with the incident's names filled in.
/// Placeholders: {registry} {repository} {repositories} {image} {nodes} {range} {failures}
/// {attempts} {title}.
public enum IncidentText {
    static let fallback = "{title}: {image} on {nodes}, {range}, {failures} failures"

    /// "quay.io denied access to acme/private-app (…) on 3 nodes, 10:01–10:10 UTC, 24 failures"
    public static func summary(_ i: Incident, rules: RuleSet) -> String {
        let repositories = i.repositories, nodeCount = i.nodeCount
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
        // One pass over the template: Foundation's replacingOccurrences, nine times over, was
        // the largest single cost of rendering a report (perf, 333 incidents: the JSON report's
        // samples 709 → ~635 at 10 kHz, ~7 ms of the serial tail after every file is read).
        s = fillPlaceholders(s) { name in
            switch name {
            case "title": return info?.title ?? i.cause.rawValue
            case "registry": return i.registry ?? "the registry"
            case "repository": return i.repository ?? i.image ?? "the image"
            case "repositories": return repos
            case "image": return i.image ?? i.repository ?? "an image"
            case "nodes": return nodes
            case "range": return TimeText.range(i.firstSeen, i.lastSeen)
            case "failures": return NumberText.grouped(i.records)
            case "attempts": return NumberText.grouped(i.attempts)
            default: return nil
            }
        }
        if i.records == 1 { s = s.replacingOccurrences(of: " 1 failures", with: " 1 failure") }
        return s
    }

    /// The cause's remediation steps with the incident's registry, image, top node and top pod.
    public static func remediation(_ i: Incident, rules: RuleSet) -> [String] {
        var c = Classification(cause: i.cause, ruleID: "", image: i.image)
        c.registry = i.registry
        c.repository = i.repository
        var record = Record(message: "")
        record.node = i.nodes.first
        if let pod = i.pods.first, !pod.hasPrefix("+") {
            let parts = pod.split(separator: "/", maxSplits: 1)
            if parts.count == 2 {
                record.namespace = parts[0].isEmpty ? nil : String(parts[0]); record.pod = String(parts[1])
            } else { record.pod = pod }
        }
        return rules.remediation(for: c, record: record)
    }
}

/// The words of one classified record (`explain`), from the cause's texts in rules/causes.yaml.
extension RuleSet {
    /// The remediation steps for `classification`, placeholders filled from the record.
    public func remediation(for c: Classification, record: Record) -> [String] {
        (causes[c.cause]?.remediation ?? []).map { fill($0, c, record) }
    }

    /// The cause's explanation, placeholders filled from the record.
    public func explanation(for c: Classification, record: Record) -> String? {
        causes[c.cause].map { fill($0.explanation, c, record) }
    }

    /// One line for a person: title, image, registry, where.
    public func summary(for c: Classification, record: Record) -> String {
        var s = causes[c.cause]?.title ?? c.cause.rawValue
        if let image = c.image { s += ": \(image)" }
        if let registry = c.registry { s += " (registry \(registry))" }
        if let node = record.node { s += " on \(node)" }
        if let pod = record.pod { s += " for pod \(record.namespace.map { $0 + "/" } ?? "")\(pod)" }
        return s
    }

    /// `template` with `{image}`, `{registry}`, `{repository}`, `{node}`, `{namespace}` and
    /// `{pod}` filled in (`<name>` when unknown); other braces are kept.
    func fill(_ template: String, _ c: Classification, _ r: Record) -> String {
        fillPlaceholders(template) { name in
            switch name {
            case "image": return c.image ?? "<image>"
            case "registry": return c.registry ?? "<registry>"
            case "repository": return c.repository ?? "<repository>"
            case "node": return r.node ?? "<node>"
            case "namespace": return r.namespace ?? "<namespace>"
            case "pod": return r.pod ?? "<pod>"
            default: return nil
            }
        }
    }
}

/// `template` with each `{name}` that `value` knows replaced by it, in one pass (a value is
/// never itself searched for placeholders); unknown names and lone braces are kept.
func fillPlaceholders(_ template: String, _ value: (Substring) -> String?) -> String {
    var out = ""
    out.reserveCapacity(template.utf8.count + 64)
    var rest = template[...]
    while let open = rest.firstIndex(of: "{") {
        out += rest[..<open]
        let after = rest.index(after: open)
        if let close = rest[after...].firstIndex(of: "}"), let v = value(rest[after..<close]) {
            out += v
            rest = rest[rest.index(after: close)...]
        } else {
            out += "{"
            rest = rest[after...]
        }
    }
    out += rest
    return out
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
