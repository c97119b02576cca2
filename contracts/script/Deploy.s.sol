// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {UptimeStaking} from "../src/UptimeStaking.sol";
import {NinesCrypto} from "../src/NinesCrypto.sol";

/// The forge cheatcodes a script uses (forge 1.7 signatures).
interface VmScript {
    function startBroadcast() external;
    function stopBroadcast() external;
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256);
    function envOr(string calldata name, bytes32 defaultValue) external view returns (bytes32);
}

/// @title Deploy: nines' contracts on an EVM chain (proto/CHAIN.md "Deployment")
/// @notice `contracts/forge.sh script script/Deploy.s.sol:Deploy --rpc-url URL
///         --broadcast (--unlocked --sender ADDR | --private-key ...)` sends,
///         in order: the Accounting library (forge deploys and links it
///         itself), NinesCrypto (no arguments), UptimeStaking(params,
///         crypto, crypto).  Each parameter is the environment variable
///         NINES_<KEY> (PROTOCOL.md 10.3 key in capitals: NINES_GENESIS,
///         NINES_EPOCH, NINES_COMMITTEE, ...; NINES_BOND,
///         NINES_CHALLENGE_WINDOW, NINES_FRAUD_SLASH for the chain's own)
///         or, when unset, its default.
contract Deploy {
    VmScript internal constant vm = VmScript(address(uint160(uint256(keccak256("hevm cheat code")))));

    function env(string memory key, uint256 dflt) internal view returns (uint64) {
        uint256 v = vm.envOr(string.concat("NINES_", key), dflt);
        require(v <= type(uint64).max, string.concat("NINES_", key, " out of range"));
        return uint64(v);
    }

    function env32(string memory key, uint256 dflt) internal view returns (uint32) {
        uint64 v = env(key, dflt);
        require(v <= type(uint32).max, string.concat("NINES_", key, " out of range"));
        return uint32(v);
    }

    /// The deployment's parameters: PROTOCOL.md 10.3 defaults unless set.
    function params() public view returns (UptimeStaking.Params memory p) {
        p.genesisSeed = vm.envOr("NINES_GENESIS_SEED", bytes32(0));
        p.genesisMs = env("GENESIS", 0);
        p.epochMs = env("EPOCH", 10000);
        p.committee = env32("COMMITTEE", 7);
        p.thetaPpm = env32("THETA", 666667);
        p.roundTimeoutMs = env("ROUND_TIMEOUT", 15000);
        p.minValidatorStake = env("MIN_VALIDATOR_STAKE", 1000);
        p.dMidMs = env("D_MID", 7200000);
        p.sMs = env("S", 1800000);
        p.maxSlashPpm = env32("MAX_SLASH", 100000);
        p.graceMs = env("GRACE", 60000);
        p.noticeMs = env("NOTICE", 86400000);
        p.maintBudgetMs = env("MAINT_BUDGET", 14400000);
        p.maintPeriodMs = env("MAINT_PERIOD", 2592000000);
        p.mergeFactor = env32("MERGE_FACTOR", 24);
        p.mergeMinMs = env("MERGE_MIN", 900000);
        p.mergeMaxMs = env("MERGE_MAX", 604800000);
        p.corrWindowMs = env("CORR_WINDOW", 300000);
        p.feePpm = env32("FEE", 1000);
        p.feePeriodMs = env("FEE_PERIOD", 86400000);
        p.canaryWindowMs = env("CANARY_WINDOW", 60000);
        p.bond = env("BOND", 1000);
        p.challengeWindowMs = env("CHALLENGE_WINDOW", 3600000);
        p.fraudSlashPpm = env32("FRAUD_SLASH", 100000);
    }

    function run() external returns (NinesCrypto crypto, UptimeStaking staking) {
        UptimeStaking.Params memory p = params();
        vm.startBroadcast();
        crypto = new NinesCrypto();
        staking = new UptimeStaking(p, crypto, crypto);
        vm.stopBroadcast();
    }
}
