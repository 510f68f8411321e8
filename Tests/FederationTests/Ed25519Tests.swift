import Federation
import Foundation
import Synchronization
import TestSupport
import Testing

private func hex(_ s: String) -> [UInt8] { Hex.decode(s)! }

struct RFC8032Vector: Decodable {
    var name: String
    var secretKey: String
    var publicKey: String
    var message: String
    var signature: String
}

@Suite struct Ed25519Tests {
    @Test func rfc8032VectorsSignAndVerify() throws {
        let data = try Data(contentsOf: Repository.vectors.appendingPathComponent("rfc8032/ed25519.json"))
        struct File: Decodable { var vectors: [RFC8032Vector] }
        let vectors = try JSONDecoder().decode(File.self, from: data).vectors
        #expect(vectors.count >= 4)
        for v in vectors {
            let key = try Ed25519.PrivateKey(seed: hex(v.secretKey))
            #expect(key.publicKey.rawRepresentation == hex(v.publicKey), "\(v.name)")
            let signature = try key.signature(for: hex(v.message))
            #expect(Hex.encode(signature) == v.signature, "\(v.name)")
            #expect(key.publicKey.isValidSignature(hex(v.signature), for: hex(v.message)), "\(v.name)")
            var flipped = hex(v.signature)
            flipped[0] ^= 1
            #expect(!key.publicKey.isValidSignature(flipped, for: hex(v.message)), "\(v.name)")
            #expect(try key.seed() == hex(v.secretKey))
        }
    }

    @Test func wycheproofVerification() throws {
        struct File: Decodable {
            struct Group: Decodable {
                struct Key: Decodable { var pk: String }
                struct Case: Decodable {
                    var tcId: Int
                    var comment: String
                    var msg: String
                    var sig: String
                    var result: String
                }
                var publicKey: Key
                var tests: [Case]
            }
            var testGroups: [Group]
        }
        let data = try Data(contentsOf: Repository.vectors.appendingPathComponent("wycheproof/ed25519_test.json"))
        let file = try JSONDecoder().decode(File.self, from: data)
        var count = 0
        for group in file.testGroups {
            let key = try Ed25519.PublicKey(rawRepresentation: hex(group.publicKey.pk))
            for t in group.tests {
                guard let sig = Hex.decode(t.sig), let msg = Hex.decode(t.msg) else {
                    Issue.record("tcId \(t.tcId): bad hex")
                    continue
                }
                let expected = t.result == "valid"
                #expect(key.isValidSignature(sig, for: msg) == expected, "Wycheproof tcId \(t.tcId) (\(t.comment))")
                count += 1
            }
        }
        #expect(count == 151)
    }

    @Test func cctvLowOrderKeysAreRefused() throws {
        struct Vector: Decodable {
            var key: String
            var flags: [String]?
        }
        let url = Repository.vectors.appendingPathComponent("cctv-ed25519/ed25519vectors.json")
        let vectors = try JSONDecoder().decode([Vector].self, from: Data(contentsOf: url))
        let lowOrder = Set(vectors.filter { $0.flags?.contains("low_order_A") == true }.map(\.key))
        #expect(lowOrder.count == 14)
        for k in lowOrder {
            #expect(Ed25519.PublicKey.weakness(of: hex(k)) != nil, "low_order_A key \(k) must be refused")
        }
        // Every other key of the file is an ordinary point encoding and must pass.
        let others = Set(vectors.map(\.key)).subtracting(lowOrder)
        #expect(!others.isEmpty)
        for k in others { #expect(Ed25519.PublicKey.weakness(of: hex(k)) == nil, "key \(k) is not low order") }
    }

    @Test func weaknessKinds() throws {
        // y = p (0xed ff…ff 7f) is ≥ p: non-canonical. y = p + 2 (not a small-order point's alias) too.
        #expect(Ed25519.PublicKey.weakness(of: hex("ed" + String(repeating: "ff", count: 30) + "7f")) == .nonCanonical)
        #expect(Ed25519.PublicKey.weakness(of: hex("ef" + String(repeating: "ff", count: 30) + "7f")) == .nonCanonical)
        #expect(Ed25519.PublicKey.weakness(of: hex("ec" + String(repeating: "ff", count: 30) + "7f")) == .smallOrder)
        #expect(Ed25519.PublicKey.weakness(of: hex("01" + String(repeating: "00", count: 31))) == .smallOrder)
        #expect(
            Ed25519.PublicKey.weakness(of: hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
                == nil)
        #expect(Ed25519.PublicKey.weakness(of: [1, 2, 3]) == .nonCanonical)
    }

    /// Documents the threat the weak-key check exists for: OpenSSL accepts R = identity, S = 0
    /// under the identity key for any message.
    @Test func openSSLAcceptsUniversalSignatureUnderIdentityKey() throws {
        let identity = try Ed25519.PublicKey(rawRepresentation: hex("01" + String(repeating: "00", count: 31)))
        let universal = hex("01" + String(repeating: "00", count: 63))
        #expect(identity.isValidSignature(universal, for: Array("any message at all".utf8)))
        #expect(identity.weakness == .smallOrder)
    }

    @Test func keyIDIsSHA256Prefix() throws {
        let key = try Ed25519.PublicKey(
            rawRepresentation: hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        // sha256 of the 32 key bytes, computed with `xxd -r -p | sha256sum`, first 16 bytes.
        #expect(key.keyID == "21fe31dfa154a261626bf854046fd227")
    }

    @Test func wrongLengthsAreErrorsWithCodes() {
        #expect(throws: FederationError.self) { try Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 31)) }
        do {
            _ = try Ed25519.PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 33))
            Issue.record("33-byte key accepted")
        } catch {
            #expect(error.code == .invalidKey)
            #expect(error.message.contains("32 bytes"))
        }
        let key = try? Ed25519.PrivateKey()
        #expect(key?.publicKey.isValidSignature([UInt8](repeating: 0, count: 63), for: [UInt8]()) == false)
    }

    @Test func freshKeysDiffer() throws {
        let a = try Ed25519.PrivateKey()
        let b = try Ed25519.PrivateKey()
        #expect(a.publicKey != b.publicKey)
        let sig = try a.signature(for: Array("x".utf8))
        #expect(a.publicKey.isValidSignature(sig, for: Array("x".utf8)))
        #expect(!b.publicKey.isValidSignature(sig, for: Array("x".utf8)))
    }
}

@Suite struct DigestTests {
    @Test func sha256KnownAnswers() {
        // FIPS 180-2 appendix B.1 and the empty string.
        #expect(
            Hex.encode(SHA256.hash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Hex.encode(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacRFC4231TestCase2() throws {
        let mac = try HMACSHA256.authenticationCode(
            for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func pseudonymMatchesIndependentHMAC() throws {
        // python3: hmac.new(bytes(range(32)), b"townbench.sensor.v1\0retail_factory\0RTF-DOOR-112", sha256).hexdigest()[:32]
        let id = try SensorPseudonym.make(
            salt: Array(0..<32), vendorKind: "retail_factory", vendorSensorID: "RTF-DOOR-112")
        #expect(id == "94272662fb4aefcac220c4bbf3bbaea2")
        #expect(throws: FederationError.self) {
            try SensorPseudonym.make(salt: [1, 2], vendorKind: "x", vendorSensorID: "y")
        }
    }

    @Test func constantTimeCompareAndRandom() throws {
        #expect(SecureRandom.constantTimeEqual([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!SecureRandom.constantTimeEqual([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!SecureRandom.constantTimeEqual([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        let a = try SecureRandom.bytes(count: 16)
        let b = try SecureRandom.bytes(count: 16)
        #expect(a.count == 16 && a != b)
        let id = try SubmissionID.random()
        #expect(id.count == 32 && Hex.decode(id) != nil)
    }

    @Test func hexAndBase64AreStrict() {
        #expect(Hex.decode("0aFF") == nil)
        #expect(Hex.decode("0a0") == nil)
        #expect(Hex.decode("0aff") == [0x0a, 0xff])
        #expect(Base64.decode("aGk=") == Array("hi".utf8))
        #expect(Base64.decode("aGk") == nil)
        #expect(Base64.decode("aGl=") == nil)  // non-zero pad bits
        #expect(Base64.decode("aG k=") == nil)
    }
}

@Suite struct Ed25519ConcurrencyTests {
    /// One cached key shared by several threads (the coordinator verifies on worker threads):
    /// every signature must still verify and every forgery fail.
    @Test func sharedKeysAcrossThreads() throws {
        let key = try Ed25519.PrivateKey()
        let message = Array("shared".utf8)
        let signature = try key.signature(for: message)
        var tampered = signature
        tampered[10] ^= 0x40
        let forged = tampered
        let publicKey = key.publicKey
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<200 {
                let good = publicKey.isValidSignature(signature, for: message)
                let bad = publicKey.isValidSignature(forged, for: message)
                let again = (try? key.signature(for: message)) == signature
                if !good || bad || !again { failures.withLock { $0 += 1 } }
            }
        }
        #expect(failures.withLock { $0 } == 0)
    }
}
