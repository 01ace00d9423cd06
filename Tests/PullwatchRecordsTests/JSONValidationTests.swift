import Foundation
import Testing
import PullwatchRecords

@Suite struct JSONValidationTests {
    func valid(_ s: String) -> Bool {
        Array(s.utf8).withUnsafeBytes { JSONValidation.isValid($0) }
    }

    func foundationAccepts(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #" {"a": 1} "#, #"{"a":[1,2.5,-3e10,0,-0.0,1E+2],"b":{"c":null,"d":true,"e":false}}"#,
        #"{"MESSAGE":"E1122 \"quoted\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00","_HOSTNAME":"n"}"#,
        #"{"k":"été — 日本 😀"}"#, #""just a string""#, "42", "true", "null",
    ])
    func acceptsValidJSON(_ s: String) {
        #expect(valid(s))
        #expect(foundationAccepts(Array(s.utf8)))
    }

    @Test(arguments: [
        "", " ", "{", "}", #"{"a":1"#, #"{"a":1,}"#, #"[1,]"#, #"{"a" 1}"#, #"{a:1}"#, #"{"a":01}"#,
        #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e}"#, #"{"a":-}"#, #"{"a":tru}"#, #"{"a":"x\q"}"#,
        #"{"a":"\u12"}"#, "{\"a\":\"tab\there\"}", #"{"a":1}{"b":2}"#, #"{"a":1} x"#, #"{"message": "cut here"#,
        #"[1,2]]"#, #"{"a":[1}"#, #"{"a":"x"]"#, "{\"a\":NaN}",
    ])
    func rejectsInvalidJSON(_ s: String) {
        #expect(!valid(s))
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF]] {
            let bytes = Array(#"{"a":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(!bytes.withUnsafeBytes { JSONValidation.isValid($0) }, "\(bad)")
        }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(!valid(deep))
        #expect(valid(String(repeating: "[", count: 200) + String(repeating: "]", count: 200)))
    }

    @Test func agreesWithFoundationOnMutatedRecords() {
        // Random byte edits of real shipper records: whenever the validator accepts, Foundation
        // parses it too, so a skipped line is one the parser would have accepted. (Foundation
        // is laxer — it takes trailing commas — so the converse does not hold; such lines are
        // simply parsed.)
        let base = Array((#"{"date":1763805600.5,"MESSAGE":"E1122 10:00:00.000000 1 remote_image.go:180] "#
            + #"\"PullImage from image service failed\" err=\"rpc error\" image=\"nginx:1.99\"","#
            + #""_HOSTNAME":"node-a","n":[1,2,{"x":null}]}"#).utf8)
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]",:\ 0123456789.eE-+tfnul"ab"#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        for _ in 0..<20_000 {
            var b = base
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: b[i] = alphabet.randomElement(using: &rng)!
                case 1: b.remove(at: i)
                default: b.insert(alphabet.randomElement(using: &rng)!, at: i)
                }
            }
            let ours = b.withUnsafeBytes { JSONValidation.isValid($0) }
            if ours {
                accepted += 1
                #expect(foundationAccepts(b), "\(String(decoding: b, as: UTF8.self))")
            }
        }
        #expect(accepted > 100)
    }

    @Test func literalsThatSurviveJSONEscaping() {
        func survives(_ s: String) -> Bool { JSONValidation.survivesEscaping(Array(s.utf8)) }
        #expect(survives("ailed to pull"))
        #expect(survives(#"" failed"#))        // \" failed still contains " failed
        #expect(survives(#"\" failed"#))       // \\\" failed contains \" failed
        #expect(!survives(#"image "x"#))       // image \"x
        #expect(!survives("https://"))          // some encoders write \/
        #expect(!survives("a<b"))
        #expect(!survives("été"))
    }
}

/// `JSONValue.parse` reads what Foundation reads, into Swift values.
@Suite struct JSONValueTests {
    /// A value tree to compare: members sorted (the last of a repeated key), numbers as Doubles,
    /// booleans as 1 and 0 (Foundation's booleans are NSNumbers).
    indirect enum Tree: Equatable {
        case object([String: Tree]), array([Tree]), string(String), number(Double), null
    }

    static func tree(_ any: Any) -> Tree {
        switch any {
        case let d as [String: Any]: return .object(d.mapValues(tree))
        case let a as [Any]: return .array(a.map(tree))
        case let s as String: return .string(s)
        case let n as NSNumber: return .number(n.doubleValue)
        default: return .null
        }
    }

    static func tree(_ v: JSONValue) -> Tree {
        switch v.kind {
        case .object:
            var last: [String: Tree] = [:]
            for m in v.members! { last[m.key] = tree(m.value) }
            return .object(last)
        case .array: return .array(v.array!.map(tree))
        case .string: return .string(v.stringValue!)
        case .number: return .number(v.double!)
        case .true: return .number(1)
        case .false: return .number(0)
        case .null: return .null
        }
    }

    @Test(arguments: [
        #"{"a":[1,2.5,-3e10,0,-0.0,1E+2],"b":{"c":null,"d":true,"e":false}}"#,
        #"{"MESSAGE":"E1122 \"quoted\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \u0041","_HOSTNAME":"n"}"#,
        #"{"k":"été — 日本 😀","dup":1,"dup":2}"#, #"[{"x":[]},{},[[]]]"#, #"  {"s" : "a\"b" , "t":"" }  "#,
        #"{"k\u0065y":"v","n":{"deep":{"er":[1,{"x":"y"}]}}}"#,
    ])
    func readsWhatFoundationReads(_ s: String) throws {
        let ours = try #require(JSONValue.parse(Array(s.utf8)))
        let theirs = try JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed])
        #expect(Self.tree(ours) == Self.tree(theirs))
    }

    @Test func lookupAndText() throws {
        let v = try #require(JSONValue.parse(Array(#"{"a":{"b":"x"},"n":12,"f":1.5,"e":"","d":1,"d":2,"k\u0065y":"v"}"#.utf8)))
        #expect(v[["a", "b"]]?.text == "x")
        #expect(v["n"]?.text == "12" && v["n"]?.int == 12 && v["f"]?.int == 1 && v["f"]?.double == 1.5)
        #expect(v["e"]?.text == nil && v["e"]?.stringValue == "")
        #expect(v["d"]?.int == 2)
        #expect(v["key"]?.text == "v")
        #expect(v["missing"] == nil && v[["a", "b", "c"]] == nil && v["a"]?["b"]?["c"] == nil)
        let list = try #require(JSONValue.parse(Array("[true,false,null]".utf8)))
        #expect(list.array?.map(\.kind) == [.true, .false, .null] && list.array?.first?.bool == true)
    }

    @Test func aLoneSurrogateIsReplaced() throws {
        let v = try #require(JSONValue.parse(Array(#"{"m":"a\ud800b"}"#.utf8)))
        #expect(v["m"]?.stringValue == "a\u{FFFD}b")
    }

    @Test(arguments: [#"{"a":1"#, #"{"a":"\q"}"#, "[" + String(repeating: "[", count: 400)])
    func refusesWhatIsNotJSON(_ s: String) {
        #expect(JSONValue.parse(Array(s.utf8)) == nil)
    }
}
