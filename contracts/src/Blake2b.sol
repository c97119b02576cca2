// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BLAKE2b-256 (RFC 7693) through the EIP-152 precompile, and the nines
///        hashes built on it (proto/PROTOCOL.md section 4).
/// @notice H(x) is unkeyed BLAKE2b with a 32-byte output, libsodium's
///         crypto_generichash(out, 32, x, NULL, 0); H64(x) is H(x)'s first
///         8 bytes read as a little-endian integer.  The compression F runs
///         in the precompile at address 0x09 (12 rounds, 1 gas a round), so
///         a hash costs about 1k gas plus the call per 128-byte block.
library Blake2b {
    /// @notice BLAKE2b-256 of `data`, unkeyed.
    /// @param data  any bytes
    /// @return out  the 32-byte digest, in libsodium's byte order
    function hash256(bytes memory data) internal view returns (bytes32 out) {
        assembly ("memory-safe") {
            // F's input (EIP-152): rounds be32 || h 64 || m 128 || t 16 (le) || f 1
            let inp := mload(0x40)
            mstore(0x40, add(inp, 256))
            mstore(inp, shl(224, 12))
            // h = IV with h[0] ^= 0x01010000 ^ (keylen << 8) ^ outlen, as le64 words
            mstore(add(inp, 4), 0x28c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5)
            mstore(add(inp, 36), 0xd182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b)
            let len := mload(data)
            let src := add(data, 32)
            let m := add(inp, 68)
            let off := 0
            for { } 1 { } {
                let n := sub(len, off)
                let last := iszero(gt(n, 128))
                if iszero(last) { n := 128 }
                // the block, zero-padded
                mstore(m, 0)
                mstore(add(m, 32), 0)
                mstore(add(m, 64), 0)
                mstore(add(m, 96), 0)
                mcopy(m, add(src, off), n)
                off := add(off, n)
                // t = bytes hashed so far, le128 (off < 2^64); f = last block
                let t := 0
                for { let i := 0 } lt(i, 8) { i := add(i, 1) } {
                    t := or(t, shl(sub(248, shl(3, i)), and(shr(shl(3, i), off), 0xff)))
                }
                mstore(add(inp, 196), t)                 // clears t's high word too
                mstore(add(inp, 212), shl(248, last))    // f, then 31 bytes of scratch
                if iszero(staticcall(gas(), 0x09, inp, 213, add(inp, 4), 64)) { revert(0, 0) }
                if last { break }
            }
            out := mload(add(inp, 4))
        }
    }

    /// @notice H64(x): the first 8 bytes of H(x) as a little-endian integer.
    function h64(bytes memory data) internal view returns (uint64) {
        return _bswap64(uint64(bytes8(hash256(data))));
    }

    /// @notice The epoch seed H("nines/epoch/v1" || genesis_seed || le64(epoch))
    ///         (PROTOCOL.md section 4; vector epoch.seed).
    /// @param genesisSeed  the registry parameter genesis_seed (32 bytes)
    /// @param epoch        the epoch number, floor((t - genesis) / epoch length)
    function epochSeed(bytes32 genesisSeed, uint64 epoch) internal view returns (bytes32) {
        return hash256(abi.encodePacked("nines/epoch/v1", genesisSeed, _bswap64(epoch)));
    }

    /// @notice A validator's sortition rank for a pod in an epoch:
    ///         H64(seed_e || pod || validator), no domain (PROTOCOL.md
    ///         section 4; vectors sortition.validatorK.rank).  The committee
    ///         of a pod is its C lowest (rank, validator id) pairs.
    function rank(bytes32 seedE, bytes32 pod, bytes32 validator) internal view returns (uint64) {
        return h64(abi.encodePacked(seedE, pod, validator));
    }

    /// Byte reversal of a 64-bit word (le64 <-> big-endian).
    function _bswap64(uint64 v) private pure returns (uint64) {
        v = ((v & 0xff00ff00ff00ff00) >> 8) | ((v & 0x00ff00ff00ff00ff) << 8);
        v = ((v & 0xffff0000ffff0000) >> 16) | ((v & 0x0000ffff0000ffff) << 16);
        return (v >> 32) | (v << 32);
    }
}
