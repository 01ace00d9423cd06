import ArgumentParser
import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules
import PullwatchReport

/// `pullwatch explain`: classify single messages and say what to do.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Classify log lines or event messages: cause, why, what to do.",
        discussion: """
        Give messages as arguments, or one per line on standard input. Any format pullwatch \
        reads works (kubelet, containerd, CRI-O, journal, event and describe text). With \
        --json, exactly one JSON object is printed per input line, in input order; `cause` is \
        null for a line that reports no pull failure.
        """
    )

    @Argument(help: "Messages to classify (default: one per line on stdin).")
    var messages: [String] = []

    @Flag(help: "One JSON object per input line.")
    var json = false

    @OptionGroup var rules: RuleOptions

    func run() throws {
        let ruleSet = try rules.load()
        let tester = RuleTester(ruleSet: ruleSet, reference: Timestamp(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9)))
        let scratch = MatchScratch()
        let out = OutputBuffer()
        func handle(_ line: String) {
            let record = tester.record(for: line)
            let c = ruleSet.classify(record, scratch: scratch)
            out.write(json ? ExplainRendering.json(c, record, ruleSet) : ExplainRendering.text(c, record, ruleSet, line: line))
            out.write("\n")
        }
        if messages.isEmpty {
            while let line = readLine(strippingNewline: true) { handle(line) }
        } else {
            messages.forEach(handle)
        }
        out.flush()
    }
}

enum ExplainRendering {
    static func json(_ c: Classification?, _ r: Record, _ rules: RuleSet) -> String {
        func q(_ s: String?) -> String { s.map(RecordRendering.jsonString) ?? "null" }
        var s = "{\"cause\":\(q(c?.cause.rawValue)),\"rule\":\(q(c?.ruleID)),\"image\":\(q(c?.image))"
        s += ",\"registry\":\(q(c?.registry)),\"repository\":\(q(c?.repository))"
        s += ",\"node\":\(q(r.node)),\"namespace\":\(q(r.namespace)),\"pod\":\(q(r.pod)),\"format\":\(q(r.format.rawValue))"
        if let c {
            s += ",\"summary\":\(q(rules.summary(for: c, record: r)))"
            s += ",\"remediation\":[" + rules.remediation(for: c, record: r).map(q).joined(separator: ",") + "]}"
        } else {
            s += ",\"summary\":null,\"remediation\":null}"
        }
        return s
    }

    static func text(_ c: Classification?, _ r: Record, _ rules: RuleSet, line: String) -> String {
        guard let c else {
            if let veto = rules.veto(for: r, scratch: MatchScratch()) {
                return "no image-pull failure (rule \(veto.id): \(veto.title ?? "vetoed")): \(String(r.message.prefix(160)))"
            }
            return "no image-pull failure: \(String(r.message.prefix(160)))"
        }
        var out = rules.summary(for: c, record: r) + "\n"
        out += "  cause: \(c.cause.rawValue) (rule \(c.ruleID))\n"
        if let registry = c.registry { out += "  registry: \(registry)" + (c.repository.map { ", repository \($0)" } ?? "") + "\n" }
        if let why = rules.explanation(for: c, record: r) { out += "  why: \(why)\n" }
        out += "  what to do:\n"
        for (i, step) in rules.remediation(for: c, record: r).enumerated() { out += "    \(i + 1). \(step)\n" }
        return String(out.dropLast())
    }
}
