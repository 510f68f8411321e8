import Federation
import Foundation
import TestSupport
import Testing

@Suite struct CanonicalJSONTests {
    static let names = ["arrays", "french", "structures", "unicode", "values", "weird"]

    @Test(arguments: names) func cyberphoneVectors(name: String) throws {
        let base = Repository.vectors.appendingPathComponent("jcs/testdata")
        let input = try Data(contentsOf: base.appendingPathComponent("input/\(name).json"))
        let expected = try Data(contentsOf: base.appendingPathComponent("output/\(name).json"))
        let output = try CanonicalJSON.serialize(try CanonicalJSON.parse(input))
        #expect(String(decoding: output, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(output == Array(expected))
    }

    /// ECMAScript Number.prototype.toString, values from RFC 8785 appendix B.
    @Test func numberFormatting() throws {
        let cases: [(UInt64, String)] = [
            (0x0000_0000_0000_0000, "0"), (0x8000_0000_0000_0000, "0"), (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"), (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"), (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"), (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"), (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x41b3_de43_5555_5553, "333333333.3333332"), (0x41b3_de43_5555_5554, "333333333.33333325"),
            (0x41b3_de43_5555_5555, "333333333.3333333"), (0x41b3_de43_5555_5556, "333333333.3333334"),
            (0x41b3_de43_5555_5557, "333333333.33333343"), (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"), (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
            (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"), (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"), (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
        ]
        for (bits, text) in cases {
            #expect(try CanonicalJSON.formatNumber(Double(bitPattern: bits)) == text, "bits \(String(bits, radix: 16))")
        }
        #expect(throws: FederationError.self) { try CanonicalJSON.formatNumber(.nan) }
        #expect(throws: FederationError.self) { try CanonicalJSON.formatNumber(.infinity) }
    }

    @Test func keysSortByUTF16AndStringsEscapeOnlyWhatRFC8785Says() throws {
        let value = JSONValue.object([
            "b": .number(1), "a/b": .string("x/y\u{7f}\u{1}"), "\u{20ac}": .null, "\u{1F600}": .bool(true),
        ])
        let text = String(decoding: try CanonicalJSON.serialize(value), as: UTF8.self)
        // U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts after U+20AC (by code
        // point order it would too, but "\u{FB33}" vs U+1F600 is where UTF-16 order differs: below).
        #expect(text == "{\"a/b\":\"x/y\u{7f}\\u0001\",\"b\":1,\"\u{20ac}\":null,\"\u{1F600}\":true}")
        let order = String(
            decoding: try CanonicalJSON.serialize(.object(["\u{FB33}": .number(1), "\u{1F600}": .number(2)])),
            as: UTF8.self)
        #expect(order == "{\"\u{1F600}\":2,\"\u{FB33}\":1}")
    }
}

@Suite struct EnvelopeTests {
    /// The example of the DSSE protocol document.
    @Test func preAuthenticationEncodingMatchesDSSESpec() {
        let pae = Envelope.preAuthenticationEncoding(
            payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        // Lengths are byte counts, not characters.
        let utf8 = Envelope.preAuthenticationEncoding(payloadType: "t", payload: Array("é".utf8))
        #expect(String(decoding: utf8, as: UTF8.self) == "DSSEv1 1 t 2 é")
    }

    @Test func signSerialiseParseVerifyRoundTrip() throws {
        let key = try Ed25519.PrivateKey(
            seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        let envelope = try Envelope.sign(payload: Array("{\"a\":1}".utf8), payloadType: "application/x-test", with: key)
        let bytes = envelope.serialized()
        let parsed = try Envelope(parsing: bytes)
        #expect(parsed == envelope)
        let ok = Envelope.verify(bytes, expectedType: "application/x-test") {
            $0 == key.publicKey.keyID ? key.publicKey : nil
        }
        #expect((try? ok.get())?.keyID == key.publicKey.keyID)
        let wrongType = Envelope.verify(bytes, expectedType: "application/x-other") { _ in key.publicKey }
        #expect(wrongType.failureReason == .badPayloadType)
        let unknown = Envelope.verify(bytes, expectedType: "application/x-test") { _ in nil }
        #expect(unknown.failureReason == .unknownKey)
        #expect(
            Envelope.verify(Array("not json".utf8), expectedType: "x") { _ in nil }.failureReason == .malformedEnvelope)
    }

    @Test func parsingRejectsLooseBase64() {
        let text = #"{"payload":"e30","payloadType":"t","signatures":[]}"#
        #expect(throws: FederationError.self) { try Envelope(parsing: Array(text.utf8)) }
    }
}

extension Result where Failure == Refusal {
    var failureReason: RefusalReason? {
        if case .failure(let r) = self { return r.reason }
        return nil
    }
}
