// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The toolchain's smoke test (forge + solc-js through ./solc-js, offline):
/// replaced by the verifier's tests.
contract SmokeTest {
    function test_toolchain(uint8 a, uint8 b) public pure {
        assert(uint256(a) + uint256(b) >= a);
    }
}
