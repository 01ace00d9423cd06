// libFuzzer entry point over the rule path: YAML rule files given with --rules (parsing,
// validation, PCRE2 compilation, replacing built-in ids, running their samples), and
// classification of arbitrary bytes with the built-in rules (record parsing, every pattern,
// the image/registry extractor, drafting rules for unknown shapes), and the literals read from
// arbitrary patterns PCRE2 compiles (RegexLiterals). Built and run by
// Fuzz/run.sh (`make fuzz`).
import PullwatchRecords
import PullwatchRules

private let builtIn = try! RuleSet.load()
private let tester = RuleTester(ruleSet: builtIn)
private let scratch = MatchScratch()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRules(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    if bytes.first.map({ $0 & 3 == 2 }) == true, (try? Regex(text)) != nil {
        // A pattern PCRE2 accepts: reading the literals it needs never crashes, and every
        // literal read is one of at least 3 bytes.
        if let needed = RegexLiterals.required(text) { precondition(needed.allSatisfy { $0.count >= 3 }) }
        return 0
    }
    if bytes.first.map({ $0 & 3 == 0 }) == true {
        // A user rule file: it loads or is refused with file:line errors, never crashes; a
        // loaded set classifies and tests its own samples.
        if let set = try? RuleSet.load(files: [(name: "fuzz.yaml", contents: text)]) {
            _ = RuleTester(ruleSet: set).run()
            for line in text.split(separator: "\n").prefix(8) {
                _ = set.classify(RuleTester(ruleSet: set).record(for: String(line)), scratch: scratch)
            }
        }
        return 0
    }
    // Arbitrary bytes as log lines, whole and line by line.
    var drafts = RuleDraftBuilder()
    for line in text.split(separator: "\n", omittingEmptySubsequences: true).prefix(16) + [Substring(text)] {
        let record = tester.record(for: String(line))
        if let c = builtIn.classify(record, scratch: scratch) {
            _ = builtIn.causes[c.cause]?.remediation.count
            if c.cause == .unknown { drafts.add(message: record.message) }
        }
        _ = PullTargetExtraction.target(in: record)
        _ = builtIn.gate.passes(String(line))
    }
    _ = drafts.yaml(limit: 4)
    return 0
}
