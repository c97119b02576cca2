// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evidence} from "./util/Evidence.sol";
import {UptimeStaking} from "../src/UptimeStaking.sol";
import {Accounting} from "../src/Accounting.sol";
import {NinesCrypto} from "../src/NinesCrypto.sol";

/// Every contract a deployment sends fits EIP-170 (24,576 bytes of runtime
/// code): forge's test EVM does not enforce the limit, a real chain does
/// (tests/chain/deploy.sh deploys on anvil with its default limits).
contract CodeSizeTest is Evidence {
    uint256 constant EIP170 = 24576;

    function check(string memory name, address a) internal {
        uint256 n = a.code.length;
        log(string.concat(name, " runtime bytes:"), n);
        assertTrue(n > 0, string.concat(name, " has code"));
        assertTrue(n <= EIP170, string.concat(name, " fits EIP-170"));
    }

    function test_code_sizes_fit_eip170() public {
        NinesCrypto c = new NinesCrypto();
        UptimeStaking s = new UptimeStaking(defaults(7), c, c);
        check("NinesCrypto", address(c));
        check("UptimeStaking", address(s));
        check("Accounting", address(Accounting));
    }
}
