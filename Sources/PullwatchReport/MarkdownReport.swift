import PullwatchAnalysis
import PullwatchRecords

/// `--format markdown`: for tickets and chat.
public enum MarkdownReport {
    public static func render(_ r: Report, tableRows: Int = 10) -> String {
        var o = "# \(Headline.text(r))\n\n"
        o += "Read \(NumberText.grouped(r.input.lines)) lines (\(NumberText.grouped(Int(r.input.bytes))) bytes) "
            + "from \(r.input.sources) source\(r.input.sources == 1 ? "" : "s").\n"
        if !r.input.errors.isEmpty {
            o += "\n**Input errors** (the rest was analysed):\n\n"
            for e in r.input.errors { o += "- `\(Headline.errorText(e))`\n" }
        }
        for (n, i) in r.incidents.enumerated() {
            o += "\n## \(n + 1). \(escape(IncidentText.summary(i, rules: r.rules)))\n\n"
            o += "- **Cause:** `\(i.cause.rawValue)` · **scope:** \(i.scope.rawValue) · "
                + "**failures:** \(NumberText.grouped(i.records)) in \(NumberText.grouped(i.attempts)) attempts\n"
            o += "- **Seen:** \(TimeText.range(i.firstSeen, i.lastSeen))\n"
            if let image = i.image { o += "- **Image:** `\(image)`" + (i.registry.map { " (registry `\($0)`)" } ?? "") + "\n" }
            if !i.nodes.isEmpty { o += "- **Nodes:** \(i.nodes.map { "`\($0)`" }.joined(separator: ", "))\n" }
            if !i.pods.isEmpty { o += "- **Pods:** \(i.pods.map { "`\($0)`" }.joined(separator: ", "))\n" }
            for s in i.shapes { o += "- **Message (\(s.count)×):** `\(s.shape.replacingOccurrences(of: "`", with: "'"))`\n" }
            let steps = IncidentText.remediation(i, rules: r.rules)
            if !steps.isEmpty {
                o += "\n**What to do**\n\n"
                for (k, step) in steps.enumerated() { o += "\(k + 1). \(escape(step))\n" }
            }
        }
        if r.failures.total > 0 {
            for (title, m) in [("Cause", r.failures.byCause), ("Registry", r.failures.byRegistry), ("Node", r.failures.byNode)] {
                o += "\n| \(title) | Failures |\n|---|---:|\n"
                let sorted = JSONReport.sorted(m)
                for (k, v) in sorted.prefix(tableRows) { o += "| `\(k)` | \(NumberText.grouped(v)) |\n" }
                if sorted.count > tableRows { o += "| … \(sorted.count - tableRows) more | |\n" }
            }
            if r.failures.withoutNode > 0 { o += "\n\(NumberText.grouped(r.failures.withoutNode)) failures name no node.\n" }
        }
        return o
    }

    /// Steps carry shell commands: keep them literal inside backticks when they hold `|` or `*`.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "*", with: "\\*").replacingOccurrences(of: "_", with: "\\_")
    }
}
