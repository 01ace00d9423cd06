import PullwatchAnalysis
import PullwatchRecords
import PullwatchRules

/// `--format html`: one self-contained file (inline CSS and SVG; no scripts, fonts or external
/// resources) with the headline, a timeline of failures per cause and per registry, the
/// incidents with their remediation, and the tables.
public enum HTMLReport {
    public static func render(_ r: Report, tableRows: Int = 15) -> String {
        var o = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>pullwatch: \(esc(Headline.text(r)))</title>
        <style>\(css)</style></head><body>
        <header><h1>\(esc(Headline.text(r)))</h1>
        <p class="meta">\(NumberText.grouped(r.input.lines)) lines, \(bytesText(r.input.bytes)) read from \
        \(r.input.sources) source\(r.input.sources == 1 ? "" : "s")</p></header>

        """
        if !r.input.errors.isEmpty {
            o += "<section class=\"errors\"><h2>Input errors</h2><p>The rest of the input was analysed.</p><ul>"
            for e in r.input.errors { o += "<li><code>\(esc(Headline.errorTextPublic(e)))</code></li>" }
            o += "</ul></section>\n"
        }
        let timed = r.timeline
        if !timed.isEmpty {
            o += "<section><h2>Failures over time, by cause</h2>"
            o += Timeline.svg(timed.map { ($0.time, $0.cause.rawValue, $0.weight) }, colour: { CausePalette.colour($0) })
            o += "</section>\n<section><h2>Failures over time, by registry</h2>"
            // Colours by rank among the registries that have times, so no two series share one.
            var timedTotals: [String: Int] = [:]
            for p in timed { if let reg = p.registry { timedTotals[reg, default: 0] += p.weight } }
            let ranked = JSONReport.sorted(timedTotals).prefix(CausePalette.others.count - 1).map(\.key)
            let colours = Dictionary(uniqueKeysWithValues: ranked.enumerated().map { ($1, CausePalette.others[$0]) })
            o += Timeline.svg(timed.map { ($0.time, $0.registry.map { colours[$0] != nil ? $0 : "other" } ?? "no registry", $0.weight) },
                              colour: { colours[$0] ?? CausePalette.series($0) })
            o += "</section>\n"
        }
        o += "<section><h2>Incidents</h2>"
        if r.incidents.isEmpty { o += "<p>No image-pull failures.</p>" }
        for (n, i) in r.incidents.enumerated() {
            o += "<article class=\"incident\" style=\"border-left-color:\(CausePalette.colour(i.cause.rawValue))\">"
            o += "<h3>\(n + 1). \(esc(IncidentText.summary(i, rules: r.rules)))</h3>"
            o += "<p class=\"meta\"><span class=\"tag\" style=\"background:\(CausePalette.colour(i.cause.rawValue))\">"
                + "\(esc(i.cause.rawValue))</span> scope <b>\(i.scope.rawValue)</b> · "
                + "\(NumberText.grouped(i.records)) failures in \(NumberText.grouped(i.attempts)) attempts · "
                + "\(esc(TimeText.range(i.firstSeen, i.lastSeen))) · <span class=\"id\">\(esc(i.id))</span></p>"
            if let image = i.image {
                o += "<p>Image <code>\(esc(image))</code>" + (i.registry.map { " · registry <code>\(esc($0))</code>" } ?? "") + "</p>"
            }
            if !i.nodes.isEmpty { o += "<p>Nodes: " + i.nodes.map { "<code>\(esc($0))</code>" }.joined(separator: " ") + "</p>" }
            if !i.pods.isEmpty { o += "<p>Pods: " + i.pods.map { "<code>\(esc($0))</code>" }.joined(separator: " ") + "</p>" }
            for s in i.shapes { o += "<p>Message (\(s.count)×): <code>\(esc(s.shape))</code></p>" }
            let steps = IncidentText.remediation(i, rules: r.rules)
            if !steps.isEmpty {
                o += "<h4>What to do</h4><ol>" + steps.map { "<li>\(codeSpans(esc($0)))</li>" }.joined() + "</ol>"
            }
            o += "</article>\n"
        }
        o += "</section>\n"
        if r.failures.total > 0 {
            o += "<section class=\"tables\">"
            for (title, m) in [("Cause", r.failures.byCause), ("Registry", r.failures.byRegistry), ("Node", r.failures.byNode),
                               ("Namespace", r.failures.byNamespace), ("Image", r.failures.byImage)] {
                o += table(title, m, total: r.failures.total, rows: tableRows)
            }
            o += "</section>"
            if r.failures.withoutNode > 0 {
                o += "<p class=\"meta\">\(NumberText.grouped(r.failures.withoutNode)) failures name no node.</p>"
            }
        }
        o += "<footer>pullwatch · \(esc(Headline.text(r)))</footer></body></html>\n"
        return o
    }

    static func table(_ title: String, _ m: [String: Int], total: Int, rows: Int) -> String {
        let sorted = JSONReport.sorted(m)
        var o = "<table><caption>\(title)</caption><thead><tr><th>\(title)</th><th>failures</th><th></th></tr></thead><tbody>"
        for (k, v) in sorted.prefix(rows) {
            let pct = total > 0 ? Double(v) * 100 / Double(total) : 0
            let colour = title == "Cause" ? CausePalette.colour(k) : "#4a6fa5"
            o += "<tr><td><code>\(esc(k))</code></td><td class=\"num\">\(NumberText.grouped(v))</td>"
            o += "<td class=\"bar\"><span style=\"width:\(Int(pct.rounded()))%;background:\(colour)\"></span></td></tr>"
        }
        if sorted.count > rows { o += "<tr><td colspan=\"3\" class=\"meta\">… \(sorted.count - rows) more</td></tr>" }
        return o + "</tbody></table>"
    }

    static func bytesText(_ b: UInt64) -> String {
        b >= 1 << 20 ? "\(NumberText.grouped(Int(b >> 20))) MiB" : "\(NumberText.grouped(Int(b))) bytes"
    }

    /// HTML-escapes text.
    public static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Commands in remediation steps (after "node X: ") read better as code.
    static func codeSpans(_ s: String) -> String {
        guard let colon = s.range(of: ": ") else { return s }
        let head = s[..<colon.upperBound], tail = s[colon.upperBound...]
        return String(head) + "<code>" + tail + "</code>"
    }

    static let css = """
    body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;\
    margin:0 auto;max-width:1100px;padding:24px;color:#1d2330;background:#fafbfc}
    h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
    h3{font-size:16px;margin:0 0 6px}h4{font-size:14px;margin:10px 0 4px}
    .meta{color:#5b6578;font-size:13px;margin:4px 0}.id{font-family:ui-monospace,monospace;font-size:12px}
    code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;\
    background:#eef1f5;padding:1px 4px;border-radius:3px;word-break:break-all}
    .incident{background:#fff;border:1px solid #dde2ea;border-left:6px solid #888;border-radius:6px;padding:12px 16px;margin:12px 0}
    .incident p{margin:4px 0}.incident ol{margin:4px 0 0;padding-left:22px}.incident li{margin:3px 0}
    .tag{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;margin-right:6px}
    .errors{background:#fff4f4;border:1px solid #f0c2c2;border-radius:6px;padding:8px 16px}
    .tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
    table{border-collapse:collapse;background:#fff;border:1px solid #dde2ea;border-radius:6px;width:100%}
    caption{text-align:left;font-weight:600;padding:6px 0}\
    th,td{padding:4px 8px;border-bottom:1px solid #eef1f5;text-align:left;font-size:13px}
    td.num{text-align:right;white-space:nowrap}td.bar{width:35%}td.bar span{display:block;height:10px;border-radius:2px}
    svg{background:#fff;border:1px solid #dde2ea;border-radius:6px;width:100%;height:auto}
    svg text{font:11px system-ui,sans-serif;fill:#5b6578}footer{margin-top:32px;color:#8a93a5;font-size:12px}
    """
}

/// Fixed colours per cause (a person learns them once), and a palette for other series.
enum CausePalette {
    static let causes: [String: String] = [
        "tag_not_found": "#1f77b4", "repository_not_found": "#4e9bd6", "access_denied": "#9467bd", "unauthorized": "#d62728",
        "rate_limited": "#ff7f0e", "network_timeout": "#8c564b", "dns_failure": "#e377c2", "connection_failed": "#bc8f5a",
        "tls_error": "#17becf", "proxy_error": "#7f7f7f", "registry_error": "#bcbd22", "disk_pressure": "#2ca02c",
        "runtime_error": "#6b8e23", "platform_mismatch": "#393b79", "invalid_image_name": "#843c39", "never_pull": "#7b4173",
        "policy_rejected": "#637939", "pull_stalled": "#e7969c", "digest_mismatch": "#ad494a", "backoff": "#b0b7c3", "unknown": "#5b6578",
    ]
    static let others = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]

    static func colour(_ cause: String) -> String { causes[cause] ?? "#888888" }

    /// Colours of the catch-all series.
    static func series(_ name: String) -> String {
        name == "no registry" ? "#dde2ea" : "#b0b7c3"
    }
}

/// A stacked bar chart of weighted events over time, as inline SVG.
enum Timeline {
    static func svg(_ points: [(time: Int64, series: String, weight: Int)], colour: (String) -> String) -> String {
        guard let minT = points.map(\.time).min(), let maxT = points.map(\.time).max() else { return "" }
        let buckets = 60
        let span = max(maxT - minT, 60_000_000_000)
        let step = bucketStep(span / Int64(buckets))
        let start = minT / step * step
        let count = Int((maxT - start) / step) + 1
        var totals: [String: Int] = [:]
        var cells = [[String: Int]](repeating: [:], count: count)
        for p in points where p.weight > 0 {
            let i = Int((p.time - start) / step)
            cells[i][p.series, default: 0] += p.weight
            totals[p.series, default: 0] += p.weight
        }
        let order = totals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        let peak = niceCeiling(max(cells.map { $0.values.reduce(0, +) }.max() ?? 1, 4))
        let width = 1000.0, height = 220.0, left = 48.0, bottom = 24.0, top = 10.0
        let legendRows = (order.count + 3) / 4
        let totalHeight = height + Double(legendRows) * 18 + 8
        let barW = (width - left - 10) / Double(count)
        var o = "<svg viewBox=\"0 0 \(Int(width)) \(Int(totalHeight))\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
        // Axes and grid.
        for k in 0...4 {
            let y = top + (height - top - bottom) * Double(k) / 4
            let v = Int((Double(peak) * Double(4 - k) / 4).rounded())
            o += "<line x1=\"\(left)\" y1=\"\(f(y))\" x2=\"\(width - 10)\" y2=\"\(f(y))\" stroke=\"#eef1f5\"/>"
            o += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(v)</text>"
        }
        for (i, cell) in cells.enumerated() {
            var y = height - bottom
            for s in order.reversed() {
                guard let n = cell[s], n > 0 else { continue }
                let h = (height - top - bottom) * Double(n) / Double(peak)
                y -= h
                let t = Timestamp(nanoseconds: start + Int64(i) * step).rfc3339(fractionDigits: 0)
                o += "<rect x=\"\(f(left + Double(i) * barW + 0.5))\" y=\"\(f(y))\" width=\"\(f(max(barW - 1, 0.5)))\""
                    + " height=\"\(f(h))\" fill=\"\(colour(s))\"><title>\(HTMLReport.esc(s)): \(n) at \(t)</title></rect>"
            }
        }
        // Time labels: first, middle, last bucket.
        for i in Set([0, count / 2, count - 1]).sorted() {
            let t = Timestamp(nanoseconds: start + Int64(i) * step).rfc3339(fractionDigits: 0)
            let label = String(t.dropFirst(5).prefix(11)).replacingOccurrences(of: "T", with: " ")
            let anchor = i == 0 ? "start" : (i == count - 1 ? "end" : "middle")
            o += "<text x=\"\(f(left + Double(i) * barW + (i == count - 1 ? barW : 0)))\" y=\"\(f(height - 6))\""
                + " text-anchor=\"\(anchor)\">\(label) UTC</text>"
        }
        for (k, s) in order.enumerated() {
            let x = left + Double(k % 4) * 235, y = height + 8 + Double(k / 4) * 18
            o += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"12\" height=\"12\" fill=\"\(colour(s))\"/>"
            o += "<text x=\"\(f(x + 17))\" y=\"\(f(y + 10))\">\(HTMLReport.esc(s)) (\(totals[s]!))</text>"
        }
        return o + "</svg>"
    }

    /// The smallest of 4, 6, 8, 10, 12, 16, 20 × 10^k ≥ `n`: four grid steps with round labels.
    static func niceCeiling(_ n: Int) -> Int {
        var magnitude = 1
        while true {
            for m in [4, 6, 8, 10, 12, 16, 20] where m * magnitude >= n { return m * magnitude }
            magnitude *= 10
        }
    }

    /// A round bucket size at least `raw`: 1/5/10/15/30 s, 1/5/10/15/30 min, 1/3/6/12 h, 1 d.
    static func bucketStep(_ raw: Int64) -> Int64 {
        let s: Int64 = 1_000_000_000
        for c in [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 10_800, 21_600, 43_200, 86_400] as [Int64] where c * s >= raw {
            return c * s
        }
        return (raw / (86_400 * s) + 1) * 86_400 * s
    }

    static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
