/// Why a public key must not be trusted, found by ``Ed25519/PublicKey/weakness``.
///
/// Why it exists: OpenSSL verifies signatures under small-order public keys. Under the identity
/// key (`01` then 31 zero bytes) the signature R = identity, S = 0 verifies for every message, so a
/// proof of possession proves nothing for such a key. The registry refuses them at enrolment.
public enum KeyWeakness: String, Sendable, Hashable, CaseIterable {
    /// One of the 8 points of order 1, 2, 4 or 8 (in any of their encodings).
    case smallOrder = "small_order"
    /// The y coordinate is not reduced modulo p = 2^255 - 19 (RFC 8032 section 5.1.3 requires
    /// decoding to fail), or x = 0 is encoded with the sign bit set.
    case nonCanonical = "non_canonical"
}

extension Ed25519.PublicKey {
    /// Whether this encoding is weak, and why; `nil` for an ordinary key.
    ///
    /// How: OpenSSL's public API cannot decompress a point and multiply it by the cofactor, so the
    /// check works on bytes: (1) y (the 255 low bits, little-endian) must be < p; (2) with the
    /// sign bit cleared, the encoding must not be one of the 8 canonical small-order points
    /// (listed below, from C2SP/CCTV `low_order_A`). Together these refuse all 14 `low_order_A`
    /// encodings of the CCTV vectors: the 8 canonical ones, the two x = 0 points with the sign
    /// bit set, and the four encodings with y ≥ p. A key that does not decode to a point at all
    /// cannot produce a valid proof of possession, so enrolment refuses it there.
    public var weakness: KeyWeakness? { Self.weakness(of: rawRepresentation) }

    /// ``weakness`` for raw bytes (which must be 32 long; anything else is `.nonCanonical`).
    public static func weakness(of bytes: [UInt8]) -> KeyWeakness? {
        guard bytes.count == 32 else { return .nonCanonical }
        if !isCanonicalY(bytes) { return .nonCanonical }
        var unsigned = bytes
        unsigned[31] &= 0x7f
        if smallOrderUnsigned.contains(unsigned) {
            // x = 0 with the sign bit set (y = 1 or y = p - 1) is also a non-canonical encoding,
            // but it is the small order that makes it dangerous: report that.
            return .smallOrder
        }
        return nil
    }

    /// y < p, where y is the little-endian integer of the bytes with bit 255 (the x sign) cleared
    /// and p = 2^255 - 19 = 0x7fff…ffed. y ≥ p only if bytes 1…30 are 0xff, byte 31 is 0x7f
    /// (after clearing the sign bit) and byte 0 is ≥ 0xed.
    static func isCanonicalY(_ b: [UInt8]) -> Bool {
        guard b[31] & 0x7f == 0x7f else { return true }
        for i in 1...30 where b[i] != 0xff { return true }
        return b[0] < 0xed
    }

    /// The 8 small-order points, canonical encodings with the sign bit cleared (so the two sign
    /// variants of each collapse to one entry): identity (y = 1), order 2 (y = p - 1), order 4
    /// (y = 0), and the order-8 points.
    static let smallOrderUnsigned: Set<[UInt8]> = {
        let hex = [
            "0100000000000000000000000000000000000000000000000000000000000000",  // identity, order 1
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // (0, -1), order 2
            "0000000000000000000000000000000000000000000000000000000000000000",  // (±sqrt(-1), 0), order 4
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
        ]
        return Set(hex.compactMap { Hex.decode($0) })
    }()
}
