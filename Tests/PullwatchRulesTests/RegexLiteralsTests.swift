import Testing
import Foundation
@testable import PullwatchRules

@Suite struct RegexLiteralsTests {
    func needed(_ pattern: String) -> [String]? {
        RegexLiterals.required(pattern)?.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [
        ("no such host", ["no such host"]),
        ("[Cc]onnection refused|[Nn]o route to host", ["Connection refused", "No route to host", "connection refused", "no route to host"]),
        // An optional piece inside a run: every variant.
        ("[Cc]onnection (?:was )?closed", ["Connection closed", "Connection was closed", "connection closed", "connection was closed"]),
        // A sequence keeps its most selective piece.
        (#"dial tcp[^\n]*?: (?:connect: )?timeout"#, ["dial tcp"]),
        (#"lookup (?<registry>[^\s:]+) on \S+"#, ["lookup "]),
        // Zero-width pieces join their neighbours.
        (#"\bEOF\b"#, ["EOF"]),
        (#"(?<!Gateway )\b[Tt]imeout\b"#, ["Timeout", "timeout"]),
        // (?i) makes letters two-way; (?-i) ends it.
        ("(?i:ab) on", ["AB on", "Ab on", "aB on", "ab on"]),
        ("(?i)a(?-i)bcd", ["Abcd", "abcd"]),
        ("(?i)abc", ["ABC", "ABc", "AbC", "Abc", "aBC", "aBc", "abC", "abc"]),
        (#"x{2}yz"#, ["xxyz"]),
        (#"a+bcd"#, ["bcd"]),
        ("推送", ["推送"]),
    ])
    func readsTheLiteralsAPatternNeeds(_ pattern: String, _ expected: [String]) {
        #expect(needed(pattern)?.sorted() == expected.sorted(), "\(pattern)")
    }

    @Test(arguments: [
        // A branch that needs nothing: the whole alternation needs nothing.
        "no such host|\\d+",
        "abc|",
        "(?:abc)?",
        "ab",                   // shorter than a useful literal
        "[a-z]+ failed|x",
        // Syntax the reader does not take apart: no literals, the rule always runs.
        #"(abc)\1"#, #"\Qabc\E"#, "(?x) a b c", #"\x{41}bcd"#, "abc{ 2}",
    ])
    func needsNothingWhenAMatchCanDoWithout(_ pattern: String) {
        #expect(needed(pattern) == nil, "\(pattern)")
    }

    @Test func tooManyCaseVariantsAreCutAtTheLimit() {
        let set = needed("(?i:no such host)") ?? []
        #expect(set.count <= RegexLiterals.exactLimit && !set.isEmpty)
        #expect(Set(set.map { $0.lowercased() }).count == 1)
    }

    @Test func optionalUTF8CharacterIsOneAtom() {
        // `é?` makes both bytes optional: neither may be required.
        #expect(needed("abcé?")?.sorted() == ["abc", "abcé"])
    }

    /// The prefilter is sound: every sample and every corpus line a rule's pattern matches
    /// holds one of the literals the rule is run for.
    @Test func everyMatchHoldsAPrefilterLiteral() throws {
        let tester = RuleTester(ruleSet: builtIn)
        var lines = builtIn.rules.flatMap { $0.samples.map(\.line) + $0.nonSamples.map(\.line) }
        for split in ["dev.jsonl", "test.jsonl"] { lines += try AccuracyTests.load(split).map { $0.line } }
        let scratch = MatchScratch()
        let messages = lines.map { tester.record(for: $0).message }
        var checked = 0
        for rule in builtIn.rules {
            for message in messages {
                guard case .match = rule.regex.match(message, scratch: scratch) else { continue }
                checked += 1
                if !rule.holdsNeededLiteral(message) {
                    Issue.record("\(rule.id) needs \(rule.neededBytes.map { String(decoding: $0, as: UTF8.self) }) but matches: \(message)")
                }
            }
        }
        #expect(checked > 5_000)
        // Most rules that carry no `literals` get some from their pattern.
        let cause = builtIn.rules.filter { $0.literalBytes.isEmpty }
        #expect(cause.filter { !$0.neededBytes.isEmpty }.count * 10 >= cause.count * 7,
                "without needed literals: \(cause.filter { $0.neededBytes.isEmpty }.map(\.id))")
    }
}
