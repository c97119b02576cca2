// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha512} from "./Sha512.sol";

/// @title Ed25519 signature verification (RFC 8032 section 5.1.7), written for nines.
/// @notice Verifies exactly as libsodium 1.0.18's crypto_sign_verify_detached
///         (the libsodium nines links on Debian 12), so that a signature the
///         ledger rejects is rejected here and vice versa:
///           - S must be canonical: S < L (RFC 8032's check);
///           - R is not decoded: its encoding must not be one of the 7
///             small-order encodings libsodium blacklists (y in {0, 1, p-1,
///             the two y of the order-8 points, p, p+1}, sign bit ignored),
///             and the verifier's canonical encoding of [S]B - [k]A must
///             equal R byte for byte (so a non-canonical R never verifies);
///           - A must be canonical (y < p), not of small order (same
///             blacklist) and decode to a curve point;
///           - cofactorless equation, k = SHA-512(R || A || M) mod L.
///         A of mixed order (small-order component) is accepted, as libsodium
///         does.  Newer libsodium (1.0.19 and later) instead decodes R and
///         accepts when R - ([S]B - [k]A) has small order (cofactored): the two
///         differ only on signatures built with a small-order component, which
///         no honest signer makes; contracts/README.md lists the divergence.
///
///         Arithmetic: extended twisted Edwards coordinates (Hisil, Wong,
///         Carter, Dawson 2008, "add-2008-hwcd-3" and "dbl-2008-hwcd" with
///         a = -1), a joint double-and-add over the bits of S and k with the
///         table {B, -A, B - A} (Straus-Shamir), and one field inversion and
///         one square root by the EIP-198 modexp precompile (0x05).
library Ed25519 {
    /// The field prime 2^255 - 19.
    uint256 internal constant P = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed;
    /// The group order 2^252 + 27742317777372353535851937790883648493.
    uint256 internal constant L = 0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed;

    /// @notice Verifies a detached Ed25519 signature.
    /// @param pk   the public key A, 32 bytes as RFC 8032 encodes it
    /// @param sig  the 64-byte signature R || S; any other length is invalid
    /// @param m    the signed message (for nines: domain || message, PROTOCOL.md section 3)
    /// @return true when the signature is valid under libsodium 1.0.18's rules
    function verify(bytes32 pk, bytes memory sig, bytes memory m) internal view returns (bool) {
        if (sig.length != 64) return false;
        bytes32 r;
        bytes32 s;
        assembly ("memory-safe") {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
        }
        return verify(pk, r, s, m);
    }

    /// @notice Verifies a detached Ed25519 signature given as its two halves.
    /// @param pk  the public key A (32 bytes, RFC 8032 encoding)
    /// @param r   the signature's first 32 bytes, R
    /// @param s   the signature's last 32 bytes, S (little-endian scalar)
    /// @param m   the signed message
    /// @return true when valid (see the library's notice for the exact rules)
    function verify(bytes32 pk, bytes32 r, bytes32 s, bytes memory m) internal view returns (bool) {
        uint256 sInt = _le(uint256(s));
        if (sInt >= L) return false;
        uint256 rInt = _le(uint256(r));
        if (_smallOrderEncoding(rInt & ((1 << 255) - 1))) return false;
        uint256 aInt = _le(uint256(pk));
        uint256 ay = aInt & ((1 << 255) - 1);
        if (ay >= P || _smallOrderEncoding(ay)) return false;
        (bool onCurve, uint256 ax) = _recoverX(ay, aInt >> 255);
        if (!onCurve) return false;

        (bytes32 hi, bytes32 lo) = Sha512.hash(abi.encodePacked(r, pk, m));
        // k = SHA-512 digest read as a 512-bit little-endian integer, mod L
        // (the constant is 2^256 mod L).
        uint256 k = addmod(_le(uint256(hi)), mulmod(_le(uint256(lo)), 0x0ffffffffffffffffffffffffffffffec6ef5bf4737dcf70d6ec31748d98951d, L), L);

        return _encodeSbMinusKA(sInt, k, ax, ay) == rInt;
    }

    /// True for the y (sign bit cleared) of libsodium's ge25519_has_small_order
    /// blacklist: 0, 1, the order-8 points' two y, p - 1, p, p + 1.
    function _smallOrderEncoding(uint256 y) private pure returns (bool) {
        return y == 0 || y == 1 || y == P - 1 || y == P || y == P + 1
            || y == 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826
            || y == 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7;
    }

    /// RFC 8032 section 5.1.3 steps 2-4: x from y (< p) and the sign bit.
    /// @return ok false when x^2 = (y^2 - 1) / (d y^2 + 1) has no root
    function _recoverX(uint256 y, uint256 sign) private view returns (bool ok, uint256 x) {
        uint256 yy = mulmod(y, y, P);
        uint256 u = addmod(yy, P - 1, P);
        uint256 v = addmod(mulmod(yy, 0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3, P), 1, P);
        uint256 v3 = mulmod(mulmod(v, v, P), v, P);
        uint256 uv7 = mulmod(u, mulmod(mulmod(v3, v3, P), v, P), P);
        // x = u v^3 (u v^7)^((p-5)/8)
        x = mulmod(mulmod(u, v3, P), _modexp(uv7, (P - 5) / 8), P);
        uint256 vxx = mulmod(v, mulmod(x, x, P), P);
        if (vxx != u) {
            if (addmod(vxx, u, P) != 0) return (false, 0);
            x = mulmod(x, 0x2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0, P); // sqrt(-1)
        }
        // x = 0 only for y = +-1, refused before as small order.
        if (x & 1 != sign) x = P - x;
        ok = true;
    }

    /// base^e mod p by the modexp precompile (EIP-198).
    function _modexp(uint256 base, uint256 e) private view returns (uint256 r) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 32)
            mstore(add(ptr, 32), 32)
            mstore(add(ptr, 64), 32)
            mstore(add(ptr, 96), base)
            mstore(add(ptr, 128), e)
            mstore(add(ptr, 160), P)
            if iszero(staticcall(gas(), 0x05, ptr, 192, ptr, 32)) { revert(0, 0) }
            r := mload(ptr)
        }
    }

    /// The RFC 8032 encoding (as a little-endian integer: y | sign(x) << 255)
    /// of [s]B + [k](-A), A = (ax, ay) affine.
    function _encodeSbMinusKA(uint256 s, uint256 k, uint256 ax, uint256 ay) private view returns (uint256) {
        uint256 x;
        uint256 y;
        uint256 z;
        assembly ("memory-safe") {
            let p := P
            // Table of 3 points at tbl + 128 (idx - 1), each as
            // (Y - X, Y + X, 2d T, 2 Z): idx 1 = B, 2 = -A, 3 = B - A.
            let tbl := mload(0x40)
            mstore(0x40, add(tbl, 384))
            mstore(tbl, 0x44fd2f9298f81267a5c18434688f8a09fd399f05d140beb39d103905d740913e)
            mstore(add(tbl, 32), 0x07cf9d3a33d4ba65270b4898643d42c2cf932dc6fb8c0e192fbc93c6f58c3b85)
            mstore(add(tbl, 64), 0x6f117b689f0c65a85a1b7dcbdd43598c26d9e823ccaac49eabc91205877aaa68)
            mstore(add(tbl, 96), 2)
            let nx := sub(p, ax)
            mstore(add(tbl, 128), addmod(ay, ax, p))            // y - (-x)
            mstore(add(tbl, 160), addmod(ay, nx, p))            // y + (-x)
            mstore(add(tbl, 192), mulmod(mulmod(nx, ay, p),
                0x2406d9dc56dffce7198e80f2eef3d13000e0149a8283b156ebd69b9426b2f159, p))
            mstore(add(tbl, 224), 2)
            // B + (-A): the extended point (-x, y, 1, -x y) plus table entry 1.
            {
                let a := mulmod(mload(add(tbl, 128)), mload(tbl), p)
                let b := mulmod(mload(add(tbl, 160)), mload(add(tbl, 32)), p)
                // C = T1 (2d T2), T1 = (-x) y;  D = Z1 (2 Z2) = 2
                let c := mulmod(mulmod(nx, ay, p), 0x6f117b689f0c65a85a1b7dcbdd43598c26d9e823ccaac49eabc91205877aaa68, p)
                let e := addmod(b, sub(p, a), p)
                let f := addmod(2, sub(p, c), p)
                let g := addmod(2, c, p)
                let h := addmod(b, a, p)
                let x3 := mulmod(e, f, p)
                let y3 := mulmod(g, h, p)
                let t3 := mulmod(e, h, p)
                let z3 := mulmod(f, g, p)
                mstore(add(tbl, 256), addmod(y3, sub(p, x3), p))
                mstore(add(tbl, 288), addmod(y3, x3, p))
                mstore(add(tbl, 320), mulmod(t3, 0x2406d9dc56dffce7198e80f2eef3d13000e0149a8283b156ebd69b9426b2f159, p))
                mstore(add(tbl, 352), addmod(z3, z3, p))
            }

            // Joint double-and-add from bit 252 (s, k < L < 2^253).
            x := 0
            y := 1
            z := 1
            let t := 0
            // mulmod reduces any 256-bit inputs, so a sum or difference
            // that only feeds mulmod is left unreduced (< 2p < 2^256); a
            // value subtracted from is reduced, or subtracted from 2p.
            let p2 := add(p, p)
            for { let i := 253 } i { } {
                i := sub(i, 1)
                let idx := or(and(shr(i, s), 1), shl(1, and(shr(i, k), 1)))
                // double: dbl-2008-hwcd, a = -1 (T only before an addition)
                {
                    let a := mulmod(x, x, p)
                    let b := mulmod(y, y, p)
                    let c := mulmod(z, z, p)
                    let xy := add(x, y)
                    let ab := add(a, b)
                    let e := addmod(mulmod(xy, xy, p), sub(p2, ab), p)
                    let g := add(b, sub(p, a))
                    let f := addmod(g, sub(p2, add(c, c)), p)
                    let h := sub(p2, ab)
                    x := mulmod(e, f, p)
                    y := mulmod(g, h, p)
                    if idx { t := mulmod(e, h, p) }
                    z := mulmod(f, g, p)
                }
                if idx {
                    // add: add-2008-hwcd-3 with the table's (Y2 - X2, Y2 + X2, 2d T2, 2 Z2)
                    let q := add(tbl, shl(7, sub(idx, 1)))
                    let a := mulmod(add(y, sub(p, x)), mload(q), p)
                    let b := mulmod(add(y, x), mload(add(q, 32)), p)
                    let c := mulmod(t, mload(add(q, 64)), p)
                    let dd := mulmod(z, mload(add(q, 96)), p)
                    let e := add(b, sub(p, a))
                    let h := add(b, a)
                    let f := add(dd, sub(p, c))
                    let g := add(dd, c)
                    x := mulmod(e, f, p)
                    y := mulmod(g, h, p)
                    t := mulmod(e, h, p)
                    z := mulmod(f, g, p)
                }
            }
        }
        uint256 zi = _modexp(z, P - 2);
        uint256 xa = mulmod(x, zi, P);
        uint256 ya = mulmod(y, zi, P);
        return ya | ((xa & 1) << 255);
    }

    /// Byte reversal of a 32-byte word: RFC 8032's little-endian integers.
    function _le(uint256 v) private pure returns (uint256) {
        v = ((v & 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00) >> 8)
          | ((v & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        v = ((v & 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000) >> 16)
          | ((v & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
        v = ((v & 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000) >> 32)
          | ((v & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) << 32);
        v = ((v & 0xffffffffffffffff0000000000000000ffffffffffffffff0000000000000000) >> 64)
          | ((v & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff) << 64);
        return (v >> 128) | (v << 128);
    }
}
