// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./util/Test.sol";
import {Ed25519Verifier} from "./Ed25519.t.sol";
import {Blake2b} from "../src/Blake2b.sol";

/// External entry points of the nines hashes, for their gas.
contract NinesHashes {
    function hash256(bytes calldata m) external view returns (bytes32) { return Blake2b.hash256(m); }
    function rank(bytes32 seed, bytes32 pod, bytes32 v) external view returns (uint64) { return Blake2b.rank(seed, pod, v); }
}

/// Gas figures of issue 16, printed as `name: N` lines by forge -vv; the
/// meson bench `chain_gas` (tests/chain/bench.sh) prints them.  Each figure
/// is the gas of one external call (execution, not the 21k transaction base
/// nor calldata), measured with gasleft() around it.
contract Bench is Test {
    Ed25519Verifier internal verifier = new Ed25519Verifier();
    NinesHashes internal hashes = new NinesHashes();

    function gasOfVerify(bytes32 pk, bytes memory sig, bytes memory m) internal view returns (uint256 used) {
        uint256 g = gasleft();
        bool valid = verifier.verify(pk, sig, m);
        used = g - gasleft();
        assertTrue(valid, "benchmark signature verifies");
    }

    function test_bench_ed25519() public view {
        bytes memory down = protoHex("vote.down.signed");
        bytes memory up = protoHex("vote.up.signed");
        bytes32 v4 = bytes32(protoHex("key.validator4.id"));
        bytes32 v1 = bytes32(protoHex("key.validator1.id"));
        gasOfVerify(v4, protoHex("vote.down.sig"), abi.encodePacked("nines/vote/v1", down)); // warm the verifier
        log("ed25519 verify gas (DOWN vote, 152-byte message):",
            gasOfVerify(v4, protoHex("vote.down.sig"), abi.encodePacked("nines/vote/v1", down)));
        log("ed25519 verify gas (UP vote, 235-byte message):",
            gasOfVerify(v1, protoHex("vote.up.sig"), abi.encodePacked("nines/vote/v1", up)));
        log("ed25519 verify gas (sign.hello, 18-byte message):",
            gasOfVerify(bytes32(protoHex("key.validator0.id")), protoHex("sign.hello.sig"), "nines/vote/v1hello"));
    }

    function test_bench_blake2b() public view {
        bytes memory m = new bytes(100);
        bytes32 seed = bytes32(protoHex("epoch.seed"));
        bytes32 pod = bytes32(protoHex("pod.id"));
        bytes32 v0 = bytes32(protoHex("key.validator0.id"));
        hashes.hash256(m); // warm
        uint256 g = gasleft();
        hashes.hash256(m);
        log("blake2b-256 gas (100 bytes):", g - gasleft());
        g = gasleft();
        uint64 r = hashes.rank(seed, pod, v0);
        log("sortition rank gas (H64 of 96 bytes):", g - gasleft());
        assertEq(r, vm.parseUint(protoVector("sortition.validator0.rank")), "rank");
    }
}
