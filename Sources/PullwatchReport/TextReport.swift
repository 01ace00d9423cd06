import PullwatchAnalysis
import PullwatchRecords
import PullwatchRules

/// Styling for terminals: colour only when asked for (a TTY without NO_COLOR).
public struct TextStyle: Sendable {
    public var colour: Bool
    public init(colour: Bool) { self.colour = colour }
    func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    func dim(_ s: String) -> String { colour ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
    func red(_ s: String) -> String { colour ? "\u{1B}[31m\(s)\u{1B}[0m" : s }
    func yellow(_ s: String) -> String { colour ? "\u{1B}[33m\(s)\u{1B}[0m" : s }
}

/// The default report: headline, incidents by impact, then tables per cause, registry, node.
public enum TextReport {
    public static func render(_ r: Report, style: TextStyle = TextStyle(colour: false), tableRows: Int = 10) -> String {
        var o = style.bold(Headline.text(r)) + "\n"
        if !r.input.errors.isEmpty {
            o += style.red("\(r.input.errors.count) input error\(r.input.errors.count == 1 ? "" : "s") (the rest was analysed):") + "\n"
            for e in r.input.errors.prefix(20) { o += "  " + Headline.errorText(e) + "\n" }
            if r.input.errors.count > 20 { o += "  … \(r.input.errors.count - 20) more\n" }
        }
        for (n, i) in r.incidents.enumerated() {
            o += "\n" + style.bold("\(n + 1). \(IncidentText.summary(i, rules: r.rules))") + "\n"
            o += style.dim("   \(i.cause.rawValue) · scope \(i.scope.rawValue) · \(NumberText.grouped(i.records)) failures in "
                           + "\(NumberText.grouped(i.attempts)) attempts · id \(i.id)") + "\n"
            if !i.nodes.isEmpty { o += "   nodes: \(i.nodes.joined(separator: ", "))\n" }
            if !i.pods.isEmpty { o += "   pods:  \(i.pods.joined(separator: ", "))\n" }
            for s in i.shapes { o += "   message (\(NumberText.grouped(s.count))×): \(s.shape)\n" }
            for (k, step) in IncidentText.remediation(i, rules: r.rules).enumerated() { o += "   \(k + 1). \(step)\n" }
        }
        guard r.failures.total > 0 else { return o }
        o += "\n" + table("cause", r.failures.byCause, total: r.failures.total, rows: tableRows, style: style)
        o += "\n" + table("registry", r.failures.byRegistry, total: r.failures.total, rows: tableRows, style: style)
        o += "\n" + table("node", r.failures.byNode, total: r.failures.total, rows: tableRows, style: style)
        if r.failures.withoutNode > 0 {
            o += style.dim("  (\(NumberText.grouped(r.failures.withoutNode)) failures name no node: "
                           + "events and describe rows without a host, or logs without one)") + "\n"
        }
        return o
    }

    static func table(_ title: String, _ m: [String: Int], total: Int, rows: Int, style: TextStyle) -> String {
        let sorted = JSONReport.sorted(m)
        let shown = sorted.prefix(rows)
        let width = max(title.count, shown.map(\.key.count).max() ?? 0)
        var o = style.bold(title.padding(toLength: width, withPad: " ", startingAt: 0) + "  failures     %") + "\n"
        for (k, v) in shown {
            let pct = total > 0 ? Double(v) * 100 / Double(total) : 0
            let count = NumberText.grouped(v)
            o += k.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: max(0, 8 - count.count)) + count + "  " + percent(pct) + "\n"
        }
        if sorted.count > rows { o += style.dim("… \(sorted.count - rows) more") + "\n" }
        return o
    }

    static func percent(_ p: Double) -> String {
        let tenths = Int((p * 10).rounded())
        let s = "\(tenths / 10).\(tenths % 10)"
        return String(repeating: " ", count: max(0, 5 - s.count)) + s
    }
}

/// The headline shared by the text, Markdown and HTML reports.
public enum Headline {
    /// "7 318 image-pull failures in 3 files, 4 incidents"
    public static func text(_ r: Report) -> String {
        let f = r.failures.total, s = r.input.sources, n = r.incidents.count
        return "\(NumberText.grouped(f)) image-pull failure\(f == 1 ? "" : "s") in \(NumberText.grouped(s)) file\(s == 1 ? "" : "s"), "
            + "\(n) incident\(n == 1 ? "" : "s")"
    }

    /// `file:line: message` or `file: byte offset N: message`.
    public static func errorTextPublic(_ e: InputProblem) -> String { errorText(e) }

    static func errorText(_ e: InputProblem) -> String {
        if let line = e.line { return "\(e.file):\(line): \(e.message)" }
        if let offset = e.offset, !e.message.contains("offset") { return "\(e.file): byte offset \(offset): \(e.message)" }
        return "\(e.file): \(e.message)"
    }
}
