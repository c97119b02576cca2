// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./util/Test.sol";
import {Blake2b} from "../src/Blake2b.sol";

contract Blake2bTest is Test {
    /// RFC 7693 appendix A ("abc", BLAKE2b-512 there: here the 256-bit
    /// variant, whose IV differs) and the empty message, from libsodium.
    function test_known() public view {
        assertEq(Blake2b.hash256(""), 0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8, "H()");
        assertEq(Blake2b.hash256("abc"), 0xbddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319, "H(abc)");
    }

    /// Every length 0..299 (the last-block rule at 128 and 256) and longer, against hashlib.
    function test_vectors() public view {
        (bytes[] memory msgs, bytes[] memory digests) = hashVectors("test/vectors/blake2b.json", 300);
        for (uint256 i = 0; i < msgs.length; i++) {
            assertEq(Blake2b.hash256(msgs[i]), bytes32(digests[i]), string.concat("blake2b of vector ", vm.toString(i)));
        }
    }

    /// The nines hashes against proto/vectors.txt (written by src/proto/committee.c):
    /// epoch.seed for genesis_seed 00..1f and epoch.number, and every
    /// validator's sortition rank for pod.id under that seed.
    function test_nines_epoch_seed_and_ranks() public view {
        bytes32 genesis = 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f;
        uint64 epoch = uint64(vm.parseUint(protoVector("epoch.number")));
        bytes32 seed = Blake2b.epochSeed(genesis, epoch);
        assertEq(seed, bytes32(protoHex("epoch.seed")), "epoch.seed");
        assertTrue(Blake2b.epochSeed(genesis, epoch + 1) != seed, "next epoch, other seed");
        bytes32 pod = bytes32(protoHex("pod.id"));
        for (uint256 k = 0; k < 10; k++) {
            string memory v = string.concat("validator", vm.toString(k));
            bytes32 id = bytes32(protoHex(string.concat("key.", v, ".id")));
            assertEq(Blake2b.rank(seed, pod, id), vm.parseUint(protoVector(string.concat("sortition.", v, ".rank"))),
                     string.concat("sortition.", v, ".rank"));
        }
    }
}
