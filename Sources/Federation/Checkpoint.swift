import Foundation

/// A C2SP `tlog-checkpoint` (https://c2sp.org/tlog-checkpoint): the signed statement of a log's
/// size and root hash.
///
/// Why: a coordinator signs each state of a tenant's log so a town can keep it, compare it with
/// another town's (two roots at one size = proof of a split view) and ask for consistency proofs.
/// The body is three lines plus optional extension lines:
///
///     <origin>\n<tree size, decimal>\n<root hash, base64>\n[extension lines]
///
/// The origin names the coordinator and tenant, e.g. `coordinator.example.org/townbench/daks-west-flanders`.
public struct Checkpoint: Sendable, Hashable {
    public var origin: String
    public var size: UInt64
    public var rootHash: [UInt8]
    public var extensions: [String]

    public init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text (what is signed), ending in a newline.
    public var text: String {
        ([origin, String(size), Base64.encode(rootHash)] + extensions).map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint body. Throws `invalid_proof` for a malformed one.
    public init(text: String) throws(FederationError) {
        func fail(_ m: String) -> FederationError {
            FederationError(code: .invalidProof, message: "Malformed checkpoint: \(m).")
        }
        guard text.hasSuffix("\n") else { throw fail("the text must end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3, !lines[0].isEmpty else { throw fail("it needs an origin, a size and a root hash line") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw fail("the size must be a decimal number without leading zeros")
        }
        guard let root = Base64.decode(lines[2]), root.count == 32 else {
            throw fail("the root hash must be 32 bytes of base64")
        }
        let extensions = Array(lines.dropFirst(3))
        guard !extensions.contains(where: \.isEmpty) else { throw fail("extension lines must not be empty") }
        self.init(origin: lines[0], size: size, rootHash: root, extensions: extensions)
    }
}

/// The C2SP signed-note format (https://c2sp.org/signed-note) with Ed25519 signatures.
///
/// Why: it is what transparency logs and their witnesses speak, so a TownBench checkpoint can be
/// checked with existing tools. A note is `text`, a blank line, then signature lines
/// `— <name> <base64(key id (4 bytes) ‖ signature)>`; the key id is the first 4 bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), and the signature is over the text's bytes.
public enum SignedNote {
    /// A key that signs notes: a name (no spaces, no `+`) and an Ed25519 key.
    public struct Signer: Sendable {
        public let name: String
        public let key: Ed25519.PrivateKey
        public init(name: String, key: Ed25519.PrivateKey) throws(FederationError) {
            guard SignedNote.isValidName(name) else {
                throw FederationError(
                    code: .invalidArgument,
                    message: "A note key name must be non-empty without spaces or '+': \"\(name)\".")
            }
            self.name = name
            self.key = key
        }
        public var verifier: Verifier { Verifier(name: name, publicKey: key.publicKey) }
    }

    /// A key that verifies notes; its text form is `<name>+<key id hex>+<base64(0x01 ‖ key)>`.
    public struct Verifier: Sendable, Hashable {
        public let name: String
        public let publicKey: Ed25519.PublicKey
        public init(name: String, publicKey: Ed25519.PublicKey) {
            self.name = name
            self.publicKey = publicKey
        }

        /// The 4-byte key id.
        public var keyID: [UInt8] {
            SHA256.hash(Array(name.utf8) + [0x0a, 0x01] + publicKey.rawRepresentation).prefix(4).map { $0 }
        }

        /// The verifier key string (what towns configure to trust a coordinator).
        public var encoded: String {
            "\(name)+\(Hex.encode(keyID))+\(Base64.encode([0x01] + publicKey.rawRepresentation))"
        }

        /// Parses a verifier key string; refuses weak keys and a key id that does not match.
        /// Splits at the first two `+` only: standard base64 may itself contain `+` (as Go's
        /// `note.NewVerifier` does).
        public init(encoded: String) throws(FederationError) {
            func fail(_ m: String) -> FederationError {
                FederationError(code: .invalidKey, message: "Invalid note verifier key: \(m).")
            }
            let parts = encoded.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, SignedNote.isValidName(parts[0]) else {
                throw fail("expected <name>+<hex key id>+<base64 key>")
            }
            guard let keyBytes = Base64.decode(parts[2]), keyBytes.count == 33, keyBytes[0] == 0x01 else {
                throw fail("the key must be base64 of 0x01 followed by 32 Ed25519 bytes")
            }
            let raw = Array(keyBytes.dropFirst())
            if let weakness = Ed25519.PublicKey.weakness(of: raw) { throw fail("the key is \(weakness.rawValue)") }
            self.init(name: parts[0], publicKey: try Ed25519.PublicKey(rawRepresentation: raw))
            guard Hex.encode(keyID) == parts[1] else { throw fail("the key id does not match the name and key") }
        }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains(where: { $0 == " " || $0 == "+" || $0 == "\n" || $0.isWhitespace })
    }

    /// Signs `text` (which must end with a newline) with every signer.
    public static func sign(text: String, signers: [Signer]) throws(FederationError) -> String {
        guard text.hasSuffix("\n"), !text.contains("\n\n") else {
            throw FederationError(
                code: .invalidArgument, message: "Note text must end with a newline and contain no blank line.")
        }
        var note = text + "\n"
        for s in signers {
            let signature = try s.key.signature(for: Array(text.utf8))
            note += "\u{2014} \(s.name) \(Base64.encode(s.verifier.keyID + signature))\n"
        }
        return note
    }

    /// Opens a signed note: returns its text and the names of the given verifiers whose
    /// signatures verified. Throws `invalid_proof` when the note is malformed, when a signature by
    /// a known key (same name and key id) does not verify, or when no known key signed it.
    /// Signatures by unknown keys are ignored, as the spec requires.
    public static func open(_ note: String, verifiers: [Verifier]) throws(FederationError) -> (
        text: String, verifiedBy: [String]
    ) {
        func fail(_ m: String) -> FederationError {
            FederationError(code: .invalidProof, message: "Signed note: \(m).")
        }
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw fail("no blank line before the signatures")
        }
        let text = String(note[..<split.lowerBound]) + "\n"
        let signatureBlock = note[split.upperBound...]
        guard signatureBlock.hasSuffix("\n") else { throw fail("the last signature line must end with a newline") }
        var verified: [String] = []
        for line in signatureBlock.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "\u{2014}", let blob = Base64.decode(String(parts[2])), blob.count > 4
            else {
                throw fail("malformed signature line \"\(line)\"")
            }
            let name = String(parts[1])
            let keyID = Array(blob.prefix(4))
            guard let v = verifiers.first(where: { $0.name == name && $0.keyID == keyID }) else { continue }
            guard v.publicKey.isValidSignature(Array(blob.dropFirst(4)), for: Array(text.utf8)) else {
                throw fail("the signature of \(name) does not verify")
            }
            verified.append(name)
        }
        guard !verified.isEmpty else {
            throw fail("no signature by a trusted key (\(verifiers.map(\.name).joined(separator: ", ")))")
        }
        return (text, verified)
    }
}
