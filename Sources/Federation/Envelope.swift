public import Foundation

/// A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md): the
/// exact payload bytes, their type, and signatures over the pre-authentication encoding (PAE).
///
/// Why DSSE: the signature covers the exact bytes that travel (base64 in `payload`), bound to the
/// `payloadType`, so the verifier never re-serialises JSON and a payload cannot be replayed as
/// another type. The algorithm is not in the envelope: it is fixed per key (Ed25519) in the
/// registry, so nothing in a message chooses it.
public struct Envelope: Sendable, Hashable {
    /// One signature: the signer's key id (see ``Ed25519/PublicKey/keyID``) and 64 signature bytes.
    public struct Signature: Sendable, Hashable {
        public var keyID: String
        public var signature: [UInt8]
        public init(keyID: String, signature: [UInt8]) {
            self.keyID = keyID
            self.signature = signature
        }
    }

    /// The payload type of aggregate submissions, version 1.
    public static let aggregatePayloadType = "application/vnd.townbench.aggregate.v1+json"
    /// The payload type of key rotation statements, version 1.
    public static let rotationPayloadType = "application/vnd.townbench.key-rotation.v1+json"
    /// The payload type of enrolment requests, version 1.
    public static let enrolmentPayloadType = "application/vnd.townbench.enrolment.v1+json"

    public var payloadType: String
    /// The exact payload bytes (base64 on the wire).
    public var payload: [UInt8]
    public var signatures: [Signature]

    public init(payloadType: String, payload: [UInt8], signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// DSSE v1 PAE: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal
    /// byte counts. This is what is signed.
    public static func preAuthenticationEncoding(payloadType: String, payload: some Collection<UInt8>) -> [UInt8] {
        let type = Array(payloadType.utf8)
        var out = [UInt8]()
        out.reserveCapacity(16 + type.count + payload.count)
        out.append(contentsOf: "DSSEv1 \(type.count) ".utf8)
        out.append(contentsOf: type)
        out.append(contentsOf: " \(payload.count) ".utf8)
        out.append(contentsOf: payload)
        return out
    }

    /// Signs `payload` as `payloadType` with `key`; the key id is the key's own ``Ed25519/PublicKey/keyID``.
    public static func sign(payload: [UInt8], payloadType: String, with key: Ed25519.PrivateKey) throws(FederationError)
        -> Envelope
    {
        let pae = preAuthenticationEncoding(payloadType: payloadType, payload: payload)
        let signature = try key.signature(for: pae)
        return Envelope(
            payloadType: payloadType, payload: payload,
            signatures: [Signature(keyID: key.publicKey.keyID, signature: signature)])
    }

    /// The envelope's wire bytes: RFC 8785 canonical JSON
    /// `{"payload":…,"payloadType":…,"signatures":[{"keyid":…,"sig":…}]}` (base64 with padding).
    /// Deterministic, so the node can store them in its outbox and resend them byte for byte.
    public func serialized() -> [UInt8] {
        let value = JSONValue.object([
            "payload": .string(Base64.encode(payload)),
            "payloadType": .string(payloadType),
            "signatures": .array(
                signatures.map {
                    .object(["keyid": .string($0.keyID), "sig": .string(Base64.encode($0.signature))])
                }),
        ])
        // Only strings: serialisation cannot fail.
        return (try? CanonicalJSON.serialize(value)) ?? []
    }

    /// Decodes ONLY the outer structure of an envelope (strict ``JSONParser``; members other than
    /// `payloadType`, `payload`, `signatures[{keyid, sig}]` are refused). The payload stays
    /// opaque bytes until its signature has been verified. Throws `invalid_encoding`.
    public init(parsing bytes: some ContiguousBytes) throws(FederationError) {
        func fail(_ message: String) -> FederationError {
            FederationError(
                code: .invalidEncoding,
                message: "The envelope is not DSSE JSON {payloadType, payload, signatures[{keyid, sig}]}: \(message).")
        }
        guard case .object(let o) = try JSONParser.parse(bytes) else { throw fail("not an object") }
        guard o.count == 3, case .string(let type)? = o["payloadType"], case .string(let payloadText)? = o["payload"],
            case .array(let sigs)? = o["signatures"]
        else {
            throw fail("payloadType and payload must be strings, signatures an array, and nothing else")
        }
        guard let payload = Base64.decode(payloadText) else { throw fail("payload is not padded standard base64") }
        var signatures = [Signature]()
        for s in sigs {
            guard case .object(let so) = s, so.count == 2, case .string(let keyID)? = so["keyid"],
                case .string(let sigText)? = so["sig"]
            else {
                throw fail("each signature must be {keyid, sig} strings")
            }
            guard let sig = Base64.decode(sigText) else {
                throw fail("the signature of key \(keyID) is not padded standard base64")
            }
            signatures.append(Signature(keyID: keyID, signature: sig))
        }
        self.init(payloadType: type, payload: payload, signatures: signatures)
    }

    /// Whether `signature` is a valid signature by `key` over this envelope's PAE.
    public func isValidSignature(_ signature: Signature, by key: Ed25519.PublicKey) -> Bool {
        key.isValidSignature(
            signature.signature,
            for: Envelope.preAuthenticationEncoding(payloadType: payloadType, payload: payload))
    }

    /// The generic DSSE verification order for a single-signature envelope: decode the outer
    /// structure, require the exact `expectedType`, look up the key by key id through `lookup`,
    /// refuse a weak key, verify the signature over PAE(type, exact payload bytes). Only a
    /// `.success` hands out the payload bytes for parsing.
    public static func verify(
        _ bytes: some ContiguousBytes, expectedType: String,
        lookup: (String) throws -> Ed25519.PublicKey?
    ) rethrows -> Result<(envelope: Envelope, keyID: String), Refusal> {
        let envelope: Envelope
        do {
            envelope = try Envelope(parsing: bytes)
        } catch {
            return .failure(Refusal(.malformedEnvelope, error.message))
        }
        guard envelope.payloadType == expectedType else {
            return .failure(
                Refusal(.badPayloadType, "payloadType is \"\(envelope.payloadType)\", expected \"\(expectedType)\""))
        }
        guard envelope.signatures.count == 1, let signature = envelope.signatures.first else {
            return .failure(
                Refusal(.malformedEnvelope, "exactly one signature is required, found \(envelope.signatures.count)"))
        }
        guard signature.signature.count >= 64 else {
            return .failure(
                Refusal(.truncatedSignature, "the signature has \(signature.signature.count) bytes, Ed25519 needs 64"))
        }
        guard signature.signature.count == 64 else {
            return .failure(
                Refusal(.badSignature, "the signature has \(signature.signature.count) bytes, Ed25519 needs 64"))
        }
        guard let key = try lookup(signature.keyID) else {
            return .failure(Refusal(.unknownKey, "no enrolled key has id \(signature.keyID)"))
        }
        if let weakness = key.weakness {
            return .failure(Refusal(.weakKey, "key \(signature.keyID) is \(weakness.rawValue) and must not be trusted"))
        }
        guard envelope.isValidSignature(signature, by: key) else {
            return .failure(Refusal(.badSignature, "the Ed25519 signature of key \(signature.keyID) does not verify"))
        }
        return .success((envelope, signature.keyID))
    }
}
