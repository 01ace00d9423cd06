import PullwatchIO
import PullwatchRecords

/// Runs every rule's samples and non-samples through the whole path a log line takes
/// (record parsing, gate, classification), so each rule proves itself.
public struct RuleTester {
    /// One failed check.
    public struct Failure: Sendable, CustomStringConvertible {
        /// The sample's location.
        public var location: SourceLocation
        /// The rule.
        public var ruleID: String
        /// What went wrong.
        public var message: String
        public var description: String { "\(location): rule \"\(ruleID)\": \(message)" }
    }

    /// Counts of what ran.
    public struct Summary: Sendable {
        public var rules = 0
        public var samples = 0
        public var nonSamples = 0
        public var failures: [Failure] = []
    }

    /// The rules under test.
    public let ruleSet: RuleSet
    private let scratch = MatchScratch()
    private let options: DecoderOptions

    /// A tester for `ruleSet`; yearless sample times are read against `reference`.
    public init(ruleSet: RuleSet, reference: Timestamp = Timestamp(seconds: 1_795_341_600)) {
        self.ruleSet = ruleSet
        self.options = DecoderOptions(years: YearInference(reference: reference))
    }

    /// Parses one line as pullwatch would read it in a file.
    public func record(for line: String) -> Record {
        var records: [Record] = []
        let decoder = RecordDecoder(source: "sample", options: options)
        line.withBytes { decoder.decode(Line(bytes: $0, number: 1)) { records.append($0) } }
        decoder.finish { records.append($0) }
        return records.first ?? Record(message: line)
    }

    /// Runs everything.
    public func run() -> Summary {
        var summary = Summary()
        for rule in ruleSet.rules {
            summary.rules += 1
            if !rule.isVeto {
                for sample in rule.samples {
                    summary.samples += 1
                    summary.failures += check(sample, of: rule)
                }
            }
            if rule.isVeto {
                // A veto's samples are vetoed (matched, not classified); its non-samples are
                // lines it must leave alone.
                for sample in rule.samples {
                    summary.samples += 1
                    let r = record(for: sample.line)
                    if case .match = rule.regex.match(r.message, scratch: scratch) {} else {
                        summary.failures.append(Failure(location: sample.location, ruleID: rule.id,
                            message: "pattern does not match the sample's message: \(r.message)"))
                    }
                    if let c = ruleSet.classify(r, scratch: scratch) {
                        summary.failures.append(Failure(location: sample.location, ruleID: rule.id,
                            message: "vetoed sample classified as \(c.cause.rawValue) by rule \"\(c.ruleID)\""))
                    }
                }
                for non in rule.nonSamples {
                    summary.nonSamples += 1
                    if case .match = rule.regex.match(record(for: non.line).message, scratch: scratch) {
                        summary.failures.append(Failure(location: non.location, ruleID: rule.id, message: "the veto matches a non-sample"))
                    }
                }
                continue
            }
            for non in rule.nonSamples {
                summary.nonSamples += 1
                let r = record(for: non.line)
                if let c = ruleSet.classify(r, scratch: scratch), c.cause == rule.cause || rule.cause.isContext {
                    summary.failures.append(Failure(location: non.location, ruleID: rule.id,
                        message: "non-sample classified as \(c.cause.rawValue) by rule \"\(c.ruleID)\""))
                }
            }
        }
        return summary
    }

    func check(_ sample: RuleSample, of rule: Rule) -> [Failure] {
        var failures: [Failure] = []
        func fail(_ m: String) { failures.append(Failure(location: sample.location, ruleID: rule.id, message: m)) }
        if !ruleSet.gate.passes(sample.line) && rule.standsAlone {
            fail("sample does not pass the gate (none of the rule's literals is in the raw line)")
        }
        let r = record(for: sample.line)
        if case .match = rule.regex.match(r.message, scratch: scratch) {
            if !rule.holdsNeededLiteral(r.message) {
                fail("the pattern matches a message without any of the literals read from it (a bug in RegexLiterals)")
            }
        } else {
            fail("pattern does not match the sample's message: \(r.message)")
        }
        guard let c = ruleSet.classify(r, scratch: scratch) else {
            fail("sample is not classified as a pull failure")
            return failures
        }
        if c.cause != rule.cause { fail("classified as \(c.cause.rawValue) by rule \"\(c.ruleID)\", expected \(rule.cause.rawValue)") }
        func expect(_ name: String, _ expected: String?, _ actual: String?) {
            if let expected, expected != actual { fail("\(name): expected \(expected), got \(actual ?? "nothing")") }
        }
        expect("image", sample.image, c.image)
        expect("registry", sample.registry, c.registry)
        expect("node", sample.node, r.node)
        expect("pod", sample.pod, r.pod)
        expect("namespace", sample.namespace, r.namespace)
        return failures
    }
}
