// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ed25519} from "./Ed25519.sol";
import {Blake2b} from "./Blake2b.sol";
import {IEd25519Verifier, INinesHash} from "./UptimeStaking.sol";

/// @title NinesCrypto: the deployment's Ed25519 verifier and sortition hashes
/// @notice UptimeStaking calls its cryptography through IEd25519Verifier and
///         INinesHash (so its logic tests can substitute a cheap stand-in);
///         this contract binds them to Ed25519.sol (RFC 8032, libsodium
///         1.0.18's rules) and Blake2b.sol (EIP-152).
contract NinesCrypto is IEd25519Verifier, INinesHash {
    function verify(bytes32 pk, bytes memory m, bytes32 r, bytes32 s) external view returns (bool) {
        return Ed25519.verify(pk, r, s, m);
    }

    function epochSeed(bytes32 genesisSeed, uint64 epoch) external view returns (bytes32) {
        return Blake2b.epochSeed(genesisSeed, epoch);
    }

    function rank(bytes32 seedE, bytes32 pod, bytes32 validator) external view returns (uint64) {
        return Blake2b.rank(seedE, pod, validator);
    }
}
