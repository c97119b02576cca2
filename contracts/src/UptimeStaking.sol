// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Accounting} from "./Accounting.sol";

/// Ed25519 (RFC 8032) verification of `sig = r || s` by `pk` over `msg`.
interface IEd25519Verifier {
    function verify(bytes32 pk, bytes memory msg, bytes32 r, bytes32 s) external view returns (bool);
}

/// The sortition hashes of PROTOCOL.md section 4 (BLAKE2b-256; Blake2b.sol).
interface INinesHash {
    /// H("nines/epoch/v1" || genesis_seed || le64(epoch))
    function epochSeed(bytes32 genesisSeed, uint64 epoch) external view returns (bytes32);
    /// H64(seed_e || pod || validator)
    function rank(bytes32 seedE, bytes32 pod, bytes32 validator) external view returns (uint64);
}

/// @title UptimeStaking: nines' uptime staking contract (proto/CHAIN.md)
/// @notice The on-chain settlement of nines-ledger (proto/LEDGER.md): a
///         registry of validators and pods whose changes take effect from the
///         next epoch, optimistic evidence (a validator claims a DOWN report,
///         optionally with its UP report, with a bond; the contract runs the
///         cheap checks of PROTOCOL.md 8.2 and src/proto/verify.c; anyone may
///         prove a bad signature or a non-committee signer within the
///         challenge window), and the ledger's incident accounting (merge,
///         grace, paid_until, maintenance, correlated outages, incremental
///         slash stake x max_slash x S(d) in Slash.sol's fixed point) applied
///         at finalize.  Times are Unix ms, amounts base units (1 gwei of the
///         native coin each), fractions ppm.
contract UptimeStaking {
    // ---- parameters (PROTOCOL.md 10.3; fixed at deployment) ----
    struct Params {
        bytes32 genesisSeed;
        uint64 genesisMs;
        uint64 epochMs;
        uint32 committee;          // C, at most 64
        uint32 thetaPpm;
        uint64 roundTimeoutMs;
        uint64 minValidatorStake;
        uint64 dMidMs;
        uint64 sMs;
        uint32 maxSlashPpm;
        uint64 graceMs;
        uint64 noticeMs;
        uint64 maintBudgetMs;
        uint64 maintPeriodMs;
        uint32 mergeFactor;
        uint64 mergeMinMs;
        uint64 mergeMaxMs;
        uint64 corrWindowMs;
        uint32 feePpm;             // monitoring fee per fee period, of pod stake
        uint64 feePeriodMs;
        uint64 canaryWindowMs;
        // chain-only
        uint64 bond;               // base units a claim locks
        uint64 challengeWindowMs;  // how long a claim may be challenged
        uint32 fraudSlashPpm;      // of the claimant's validator stake on proven fraud
    }

    uint256 internal constant UNIT = 1 gwei;        // one base unit
    uint64 internal constant SKEW_MS = 30000;       // NINES_EVIDENCE_SKEW_MS
    uint256 internal constant MAX_VOTES = 64;       // NINES_REPORT_MAX_VOTES
    uint256 internal constant MAINT_MAX = 16;       // NINES_MAINT_MAX

    // ---- errors (the ledger's codes) ----
    error EMalformed(string what);
    error ENotCommittee(uint256 vote);
    error EDupSigner(uint256 vote);
    error EQuorum(uint256 agree, uint256 total);
    error EStale(string what);
    error EOrder();
    error EUnknown();
    error EStake();
    error EPerm();
    error EExist();
    error EFull();
    error EDuplicate();
    error EState(string what);
    error ENoFraud();

    // ---- events ----
    event ValidatorRegistered(uint32 indexed index, bytes32 id, address owner, uint64 stake, uint64 fromEpoch);
    event PodRegistered(bytes32 indexed pod, address provider, uint64 stake, uint64 paidUntilMs);
    event PaidUntil(bytes32 indexed pod, uint64 paidUntilMs);
    event Maintenance(bytes32 indexed pod, uint64 startMs, uint64 endMs);
    event Claimed(bytes32 indexed claim, bytes32 indexed pod, uint32 claimant, uint64 tDown, uint64 tUp, bool hasUp,
                  uint64 deadlineMs, bytes32 rid, bytes32 evidence);
    event Challenged(bytes32 indexed claim, address challenger, uint8 fraud, uint256 vote, uint64 validatorSlashed);
    event Finalized(bytes32 indexed claim, uint64 seq);
    event Accounted(bytes32 indexed claim, uint64 seq);
    event Incident(bytes32 indexed pod, uint64 tDown, uint64 tUp, uint64 durationMs, uint64 pieces, uint64 slashed, bool correlated, bool open);
    event Slashed(bytes32 indexed pod, uint64 tDown, uint64 amount, uint64 incidentTotal);

    // ---- registry ----
    struct Checkpoint {
        uint64 fromEpoch;          // in force from this epoch on (0: none)
        uint64 value;
        uint64 weight;             // isqrt(value) for a stake (the quorum weight), else 0
    }

    /// A value by epoch: the last checkpoint inline with the count of the
    /// earlier ones (one slot, the one a claim reads), the earlier ones in
    /// a mapping by position, ascending (no length slot to open: a second
    /// checkpoint costs one new slot, as in a list that already had one).
    struct History {
        uint64 fromEpoch;          // the last checkpoint's (0: none yet)
        uint64 value;
        uint64 weight;
        uint64 nOlder;             // earlier checkpoints, older[0 .. nOlder)
        mapping(uint256 => Checkpoint) older;
    }

    struct Validator {
        bytes32 id;                // Ed25519 public key
        address owner;
        uint96 credit;             // bonds returned, base units, withdrawable by the owner (owner's slot)
        History stake;             // stake history, by epoch
    }

    struct MaintWindow {
        uint64 startMs;
        uint64 endMs;
    }

    struct Pod {
        address provider;
        uint64 stake;              // base units
        uint64 slashed;            // paid so far
        uint64 fees;               // monitoring fees paid so far
        uint64 paidUntilMs;        // 0: unlimited
        bytes32 pins;              // hash of the pin set (content ids)
        MaintWindow[] maint;
    }

    /// One raw incident (LEDGER.md accounting 1): a DOWN report and the UP that closes it.
    struct Raw {
        uint64 tDown;
        uint64 tUp;
        bool hasUp;
        bool correlated;
        bytes14 id;                // the DOWN report's id, its first 14 bytes (one storage slot a raw)
    }

    /// A merged incident (accounting 3).
    struct Group {
        uint64 tDown;
        uint64 tEnd;
        uint64 duration;
        uint64 pieces;
        bool open;
        uint64 paid;               // paid so far: Σ groupPaid of its raws' tDowns
    }

    /// The incident accounting's storage (Accounting.sol works on it).
    struct Book {
        mapping(bytes32 => Pod) pods;
        bytes32[] allPods;                                 // every registered pod
        mapping(bytes32 => Raw[]) raws;                    // by pod, sorted by tDown
        // pod => tDown of a raw => what was paid while it was its merged
        // incident's first (a merged incident has paid the sum over its
        // raws: a late earlier DOWN that becomes the first pays nothing twice)
        mapping(bytes32 => mapping(uint64 => uint64)) groupPaid;
    }

    // ---- evidence ----
    struct Vote {
        uint8 member;              // position of the signer in the report's committee
        bytes body;                // signed_bytes: the msgpack vote body (PROTOCOL.md 8.1)
        bytes32 r;                 // signature, first half
        bytes32 s;                 // signature, second half
    }

    /// A quorum report (PROTOCOL.md 8.2) with the committee it claims:
    /// the eligible validator indexes of the epoch, ascending.
    struct Report {
        uint8 kind;                // 0 DOWN, 1 UP
        bytes32 pod;
        uint64 epoch;
        bytes32 roundId;
        uint64 tMs;
        uint32[] committee;
        Vote[] votes;
    }

    enum Status { None, Pending, Finalized, Voided, Accounted }

    /// What the accounting needs of a claim's evidence (`summary`), and the
    /// hash of the whole evidence (the challenges resubmit it).
    struct Summary {
        bytes32 pod;
        bytes32 rid;               // reportId(down)
        uint64 tDown;
        uint64 tUp;                // 0 without an UP
        bool hasUp;
        bytes32 evidence;          // keccak256(abi.encode(down, up))
    }

    /// A claim, two storage slots; its id is the evidence's de-duplication
    /// key keccak256(abi.encode(reportId(down), up.length)), the bond is
    /// params.bond and its payer the claimant validator's owner.
    struct Claim {
        bytes32 hash;              // keccak256(abi.encode(summary(down, up)))
        uint64 deadlineMs;
        uint32 claimant;           // validator index
        Status status;
        uint64 seq;                // its place in finalize order, from 1 (0 before)
    }

    /// Claims finalized and accounted so far (one slot): the accounting
    /// runs in finalize order, one claim a call (`account`).
    struct Order {
        uint64 finalized;
        uint64 accounted;
        bool live;                 // set at deployment: the slot is never zero, so no write pays 20k
    }

    Params internal params;
    uint64 internal immutable bondUnits;                   // params.bond
    IEd25519Verifier public immutable ed25519;
    INinesHash public immutable hashes;

    Validator[] internal validators;
    mapping(bytes32 => uint32) public validatorIndex;      // id => index + 1
    History internal eligibleCount;                        // eligible validators, by epoch

    Book internal book;

    mapping(bytes32 => Claim) public claims;              // by claim id
    Order public order;
    mapping(address => uint256) public owed;              // withdrawable, wei

    constructor(Params memory p, IEd25519Verifier ed, INinesHash h) {
        require(p.epochMs > 0 && p.committee > 0 && p.committee <= MAX_VOTES && p.thetaPpm <= 1000000, "params");
        params = p;
        bondUnits = p.bond;
        order.live = true;
        ed25519 = ed;
        hashes = h;
    }

    /// The protocol parameters (fixed at deployment).
    function parameters() external view returns (Params memory) {
        return params;
    }

    // ================================================================ time

    function nowMs() public view returns (uint64) {
        return uint64(block.timestamp * 1000);
    }

    /// nines_epoch_of: the epoch of a Unix ms instant (0 before genesis).
    function epochOf(uint64 tMs) public view returns (uint64) {
        Params storage p = params;
        return tMs < p.genesisMs ? 0 : (tMs - p.genesisMs) / p.epochMs;
    }

    function currentEpoch() public view returns (uint64) {
        return epochOf(nowMs());
    }

    // ============================================================ registry

    /// The checkpoint of h in force during `epoch` (all zero before the first).
    function _cp(History storage h, uint64 epoch) internal view returns (Checkpoint memory c) {
        c = Checkpoint(h.fromEpoch, h.value, h.weight);
        if (c.fromEpoch <= epoch) return c;
        for (uint256 i = h.nOlder; i > 0; i--) if (h.older[i - 1].fromEpoch <= epoch) return h.older[i - 1];
        return Checkpoint(0, 0, 0);
    }

    function _at(History storage h, uint64 epoch) internal view returns (uint64) {
        return _cp(h, epoch).value;
    }

    /// h's value from `fromEpoch` on (fromEpoch >= 1, never before the last's).
    function _set(History storage h, uint64 fromEpoch, uint64 value, uint64 weight) internal {
        uint64 n = h.nOlder;
        if (h.fromEpoch != 0 && h.fromEpoch != fromEpoch) {
            h.older[n] = Checkpoint(h.fromEpoch, h.value, h.weight);
            n++;
        }
        (h.fromEpoch, h.value, h.weight, h.nOlder) = (fromEpoch, value, weight, n);
    }

    /// The stake of validator `index` in force during `epoch`.
    function stakeAt(uint32 index, uint64 epoch) public view returns (uint64) {
        return _at(validators[index].stake, epoch);
    }

    /// Validators holding at least min_validator_stake during `epoch`.
    function eligibleAt(uint64 epoch) public view returns (uint64) {
        return _at(eligibleCount, epoch);
    }

    function validatorCount() external view returns (uint256) {
        return validators.length;
    }

    function validatorId(uint32 index) external view returns (bytes32) {
        return validators[index].id;
    }

    /// Sets a validator's stake from the next epoch, keeping the eligible count.
    function _setStake(uint32 index, uint64 stake) internal {
        uint64 next = currentEpoch() + 1;
        Validator storage v = validators[index];
        uint64 min = params.minValidatorStake;
        bool was = _at(v.stake, next) >= min && v.stake.fromEpoch != 0;
        _set(v.stake, next, stake, uint64(_isqrt(stake)));
        bool is_ = stake >= min;
        if (was != is_) {
            uint64 c = _at(eligibleCount, next);
            _set(eligibleCount, next, is_ ? c + 1 : c - 1, 0);
        }
    }

    /// Registers the validator `id` (Ed25519 public key) owned by the
    /// sender with msg.value as stake (base units of 1 gwei), or adds
    /// msg.value to its stake; in force from the next epoch.  EStake when
    /// the stake would be below min_validator_stake, EPerm for another
    /// owner's id.
    function registerValidator(bytes32 id) external payable returns (uint32 index) {
        if (msg.value % UNIT != 0) revert EStake();
        uint64 add = uint64(msg.value / UNIT);
        uint32 k = validatorIndex[id];
        if (k == 0) {
            if (add < params.minValidatorStake) revert EStake();
            index = uint32(validators.length);
            Validator storage v = validators.push();
            v.id = id;
            v.owner = msg.sender;
            validatorIndex[id] = index + 1;
        } else {
            index = k - 1;
            if (validators[index].owner != msg.sender) revert EPerm();
        }
        uint64 stake = _at(validators[index].stake, currentEpoch() + 1) + add;
        _setStake(index, stake);
        emit ValidatorRegistered(index, id, msg.sender, stake, currentEpoch() + 1);
    }

    /// Registers a pod (or, by its provider, adds stake and changes its pin
    /// set and paid_until) with msg.value as stake.  paid_until earlier
    /// than now is raised to now (LEDGER.md); 0 is unlimited.
    function registerPod(bytes32 pod, bytes32 pins, uint64 paidUntilMs) external payable {
        if (msg.value % UNIT != 0) revert EStake();
        Pod storage p = book.pods[pod];
        if (p.provider == address(0)) {
            p.provider = msg.sender;
            book.allPods.push(pod);
        } else if (p.provider != msg.sender) {
            revert EPerm();
        }
        p.stake += uint64(msg.value / UNIT);
        p.pins = pins;
        p.paidUntilMs = _paid(paidUntilMs);
        emit PodRegistered(pod, msg.sender, p.stake, p.paidUntilMs);
    }

    function _paid(uint64 t) internal view returns (uint64) {
        uint64 n = nowMs();
        return t != 0 && t < n ? n : t;
    }

    function setPaidUntil(bytes32 pod, uint64 paidUntilMs) external {
        Pod storage p = book.pods[pod];
        if (p.provider == address(0)) revert EUnknown();
        if (p.provider != msg.sender) revert EPerm();
        p.paidUntilMs = _paid(paidUntilMs);
        emit PaidUntil(pod, p.paidUntilMs);
    }

    /// Announces maintenance [startMs, endMs) (LEDGER.md `maintenance`):
    /// EStale under `notice` ahead, EExist when it overlaps an announced
    /// window, EFull over maint_budget in the maint_period before its start
    /// or 16 windows kept.
    function announceMaintenance(bytes32 pod, uint64 startMs, uint64 endMs) external {
        Pod storage p = book.pods[pod];
        if (p.provider == address(0)) revert EUnknown();
        if (p.provider != msg.sender) revert EPerm();
        if (endMs <= startMs) revert EMalformed("maintenance window");
        Params storage pa = params;
        uint64 used = 0;
        uint64 from = startMs - (startMs > pa.maintPeriodMs ? pa.maintPeriodMs : startMs);
        for (uint256 i = 0; i < p.maint.length; i++) {
            MaintWindow storage m = p.maint[i];
            if (m.startMs < endMs && startMs < m.endMs) revert EExist();
            if (m.endMs > from && m.startMs <= startMs) used += m.endMs - m.startMs;
        }
        if (startMs < nowMs() + pa.noticeMs) revert EStale("maintenance notice");
        if (used + (endMs - startMs) > pa.maintBudgetMs || p.maint.length >= MAINT_MAX) revert EFull();
        p.maint.push(MaintWindow(startMs, endMs));
        emit Maintenance(pod, startMs, endMs);
    }

    function podInfo(bytes32 pod)
        external view returns (address provider, uint64 stake, uint64 slashed, uint64 paidUntilMs, bytes32 pins)
    {
        Pod storage p = book.pods[pod];
        return (p.provider, p.stake, p.slashed, p.paidUntilMs, p.pins);
    }

    function rawCount(bytes32 pod) external view returns (uint256) {
        return book.raws[pod].length;
    }

    function raw(bytes32 pod, uint256 i) external view returns (Raw memory) {
        return book.raws[pod][i];
    }

    // ============================================================ evidence

    /// Report id (PROTOCOL.md section 4 spirit: it ignores the votes).
    function reportId(Report calldata r) public pure returns (bytes32) {
        return keccak256(abi.encode(r.kind, r.pod, r.epoch, r.roundId, r.tMs));
    }

    /// The fields of a vote body the checks need.
    struct Body {
        bytes32 round;
        bytes32 pod;
        uint64 epoch;
        bytes32 validator;
        uint64 verdict;
        uint64 tMs;
    }

    /// Decodes a vote body (PROTOCOL.md 8.1) straight from calldata and
    /// accepts exactly what the C decoder does (src/wire/msg.c
    /// s_vote_body_decode over msgpack-c): 1 to 320 bytes holding one
    /// msgpack object and nothing after it, the array [round_id, pod,
    /// epoch, validator, verdict (<= 2), outcome (<= 6), t_ms, proof,
    /// attempts], proof nil or [nonce bin 16, t_ms, app_status (<= 65535),
    /// app_latency_us (<= 2^32 - 1), sig bin 64], attempts at most 8
    /// [age_ms (<= 2^32 - 1), outcome (<= 6)], none `ok` in a `down` vote.
    /// As msgpack-c reads them, an array is fix/16/32, a bin 8/16/32, an
    /// integer a positive fixint, uint 8-64 or a non-negative int 8-64.
    /// EMalformed "vote body" (shape, length, trailing bytes, attempts),
    /// "vote bin32" (an id not a 32-byte bin) or "vote integer" (not an
    /// integer in range); the first fault wins.
    function _vote(bytes calldata b) internal pure returns (Body memory o) {
        uint256 bad;                       // the first fault: 1 body, 2 bin32, 3 integer
        assembly ("memory-safe") {
            // The msgpack header at q: kind 1 integer (v its value, n all
            // its bytes), 2 bin (v its length, n the header's bytes),
            // 3 array (v its count, n the header's), 4 nil, 0 anything else.
            function hdr(q) -> k, v, n {
                let w := calldataload(q)
                let t := byte(0, w)
                n := 1
                if lt(t, 0x80) {
                    k := 1
                    v := t
                    leave
                }
                if eq(t, 0xc4) {                             // what the C encoder writes: bin 8,
                    k := 2
                    v := byte(1, w)
                    n := 2
                    leave
                }
                if eq(t, 0xcf) {                             // uint 64
                    k := 1
                    v := shr(192, shl(8, w))
                    n := 9
                    leave
                }
                if eq(and(t, 0xf0), 0x90) {
                    k := 3
                    v := and(t, 0x0f)
                    leave
                }
                if eq(t, 0xc0) {
                    k := 4
                    leave
                }
                let s := 0                                   // bytes after the type byte
                switch t
                case 0xc4 { k := 2 s := 1 }
                case 0xc5 { k := 2 s := 2 }
                case 0xc6 { k := 2 s := 4 }
                case 0xdc { k := 3 s := 2 }
                case 0xdd { k := 3 s := 4 }
                default {
                    if and(gt(t, 0xcb), lt(t, 0xd4)) {      // uint / int 8, 16, 32, 64
                        k := 1
                        s := shl(and(sub(t, 0xcc), 3), 1)
                    }
                }
                if iszero(k) { leave }
                v := shr(sub(256, shl(3, s)), shl(8, w))
                n := add(1, s)
                if and(gt(t, 0xcf), lt(t, 0xd4)) {          // a negative int is another type
                    if shr(sub(shl(3, s), 1), v) { k := 0 }
                }
            }
            // an integer <= max at q: value, next q, fault
            function uintAt(q, max) -> v, q2, e {
                let k, x, n := hdr(q)
                v := x
                q2 := add(q, n)
                if or(iszero(eq(k, 1)), gt(x, max)) { e := 3 }
            }
            // a bin of `len` bytes at q: its first word, next q, fault (fault code f)
            function binAt(q, len, f) -> w, q2, e {
                let k, x, n := hdr(q)
                w := calldataload(add(q, n))
                q2 := add(add(q, n), x)
                if or(iszero(eq(k, 2)), iszero(eq(x, len))) { e := f }
            }
            // an array of `cnt` (or, with upTo, at most cnt) items at q: count, next q, fault
            function arrayAt(q, cnt, upTo) -> c, q2, e {
                let k, x, n := hdr(q)
                c := x
                q2 := add(q, n)
                if iszero(eq(k, 3)) { e := 1 }
                if and(iszero(upTo), iszero(eq(x, cnt))) { e := 1 }
                if gt(x, cnt) { e := 1 }
            }
            let u64 := 0xffffffffffffffff
            let p := b.offset
            let end := add(p, b.length)
            if or(iszero(b.length), gt(b.length, 320)) { bad := 1 }
            let c, q, e := arrayAt(p, 9, 0)
            let v := 0
            if iszero(bad) { bad := e }
            v, q, e := binAt(q, 32, 2)
            mstore(o, v)                                             // round_id
            if iszero(bad) { bad := e }
            v, q, e := binAt(q, 32, 2)
            mstore(add(o, 0x20), v)                                  // pod
            if iszero(bad) { bad := e }
            v, q, e := uintAt(q, u64)
            mstore(add(o, 0x40), v)                                  // epoch
            if iszero(bad) { bad := e }
            v, q, e := binAt(q, 32, 2)
            mstore(add(o, 0x60), v)                                  // validator
            if iszero(bad) { bad := e }
            let verdict := 0
            verdict, q, e := uintAt(q, 2)
            mstore(add(o, 0x80), verdict)
            if iszero(bad) { bad := e }
            v, q, e := uintAt(q, 6)                                  // outcome
            if iszero(bad) { bad := e }
            v, q, e := uintAt(q, u64)
            mstore(add(o, 0xa0), v)                                  // t_ms
            if iszero(bad) { bad := e }
            switch eq(byte(0, calldataload(q)), 0xc0)                // proof
            case 1 { q := add(q, 1) }
            default {
                c, q, e := arrayAt(q, 5, 0)
                if iszero(bad) { bad := e }
                v, q, e := binAt(q, 16, 1)                           // nonce
                if iszero(bad) { bad := e }
                v, q, e := uintAt(q, u64)                            // t_ms
                if iszero(bad) { bad := e }
                v, q, e := uintAt(q, 0xffff)                         // app_status
                if iszero(bad) { bad := e }
                v, q, e := uintAt(q, 0xffffffff)                     // app_latency_us
                if iszero(bad) { bad := e }
                v, q, e := binAt(q, 64, 1)                           // sig
                if iszero(bad) { bad := e }
            }
            c, q, e := arrayAt(q, 8, 1)                              // attempts
            if iszero(bad) { bad := e }
            if e { c := 0 }
            for { let i := 0 } lt(i, c) { i := add(i, 1) } {
                let m := 0
                m, q, e := arrayAt(q, 2, 0)
                if iszero(bad) { bad := e }
                v, q, e := uintAt(q, 0xffffffff)                     // age_ms
                if iszero(bad) { bad := e }
                v, q, e := uintAt(q, 6)                              // outcome
                if iszero(bad) { bad := e }
                if and(iszero(verdict), iszero(v)) { if iszero(bad) { bad := 1 } }   // a down vote on an ok heartbeat
            }
            if iszero(eq(q, end)) { if iszero(bad) { bad := 1 } }           // short, or bytes after the object
        }
        if (bad != 0) revert EMalformed(bad == 1 ? "vote body" : bad == 2 ? "vote bin32" : "vote integer");
    }

    /// The claimed committee's weights, isqrt(stake) in the report's epoch,
    /// after checking its shape: min(C, eligible) eligible validator indexes, ascending.
    function _committee(Report calldata r) internal view returns (uint256[] memory weight, uint256 total) {
        Params storage p = params;
        uint64 elig = eligibleAt(r.epoch);
        uint256 c = p.committee < elig ? p.committee : elig;
        if (r.committee.length != c) revert EMalformed("committee size");
        uint64 min = p.minValidatorStake;
        weight = new uint256[](c);
        for (uint256 j = 0; j < c; j++) {
            uint32 k = r.committee[j];
            if ((j > 0 && k <= r.committee[j - 1]) || k >= validators.length) revert EMalformed("committee order");
            Checkpoint memory cp = _cp(validators[k].stake, r.epoch);
            if (cp.value < min) revert EMalformed("committee member not eligible");
            weight[j] = cp.weight;
            total += cp.weight;
        }
    }

    /// Checks the votes against their report and the committee; returns the
    /// agreeing weight and the votes' times.
    function _votes(Report calldata r, uint8 kind, uint256[] memory weight)
        internal view returns (uint256 agree, uint64[] memory times)
    {
        uint256 n = r.votes.length;
        uint64 seen = 0;
        times = new uint64[](n);
        for (uint256 i = 0; i < n; i++) {
            Vote calldata v = r.votes[i];
            Body memory b = _vote(v.body);
            if (b.round != r.roundId || b.pod != r.pod || b.epoch != r.epoch || b.verdict != kind) {
                revert EMalformed("vote disagrees with its report");
            }
            if (v.member >= weight.length || validators[r.committee[v.member]].id != b.validator) revert ENotCommittee(i);
            if (seen & (uint64(1) << v.member) != 0) revert EDupSigner(i);
            seen |= uint64(1) << v.member;
            agree += weight[v.member];
            times[i] = b.tMs;
        }
    }

    /// The cheap checks of one report (src/proto/verify.c, in its order, the
    /// signatures excepted: they are the challenge's); reverts with the
    /// ledger's code.
    function _check(Report calldata r, uint8 kind) internal view {
        Params storage p = params;
        uint256 n = r.votes.length;
        if (r.kind != kind || n == 0 || n > MAX_VOTES) revert EMalformed("report kind or vote count");
        (uint256[] memory weight, uint256 total) = _committee(r);
        (uint256 agree, uint64[] memory times) = _votes(r, kind, weight);
        if (total == 0 || agree * 1000000 < uint256(p.thetaPpm) * total) revert EQuorum(agree, total);
        _times(r, times);
    }

    /// Vote times inside the epoch (with skew and round timeout), report
    /// t_ms their upper median and not in the future.
    function _times(Report calldata r, uint64[] memory times) internal view {
        Params storage p = params;
        uint256 n = times.length;
        uint64 start = p.genesisMs + r.epoch * p.epochMs;
        uint64 lo = start > SKEW_MS ? start - SKEW_MS : 0;
        uint64 hi = start + p.epochMs + p.roundTimeoutMs + SKEW_MS;
        for (uint256 i = 0; i < n; i++) if (times[i] < lo || times[i] > hi) revert EStale("vote time outside its epoch");
        for (uint256 i = 1; i < n; i++) {       // insertion sort: n <= 64
            uint64 x = times[i];
            uint256 j = i;
            for (; j > 0 && times[j - 1] > x; j--) times[j] = times[j - 1];
            times[j] = x;
        }
        if (r.tMs != times[n / 2]) revert EStale("report t_ms is not the median of its votes");
        if (r.tMs > nowMs() + SKEW_MS) revert EStale("report t_ms in the future");
    }

    /// nines_isqrt: floor(sqrt(x)).
    function _isqrt(uint256 x) internal pure returns (uint256 y) {
        if (x == 0) return 0;
        y = x;
        uint256 z = (x + 1) / 2;
        while (z < y) {
            y = z;
            z = (x / z + z) / 2;
        }
    }

    /// Claims evidence: a DOWN report of `down.pod` and, optionally
    /// (`up.length == 1`), the UP report that closes it.  The sender must own
    /// validator `claimant` and send `bond` base units.  Runs the cheap checks
    /// (fields, committee shape and eligibility, no duplicate signer, quorum
    /// weight Σ isqrt(stake) from the registry of the report's epoch, vote
    /// times and t_ms median, UP after DOWN) and opens a claim that anyone
    /// may challenge until `deadlineMs`.  Reverts with the ledger's codes;
    /// EDuplicate for evidence already claimed.
    function claim(uint32 claimant, Report calldata down, Report[] calldata up) external payable returns (bytes32 id) {
        Params storage p = params;
        if (msg.value != uint256(bondUnits) * UNIT) revert EStake();
        if (claimant >= validators.length || validators[claimant].owner != msg.sender) revert EPerm();
        if (book.pods[down.pod].provider == address(0)) revert EUnknown();
        if (up.length > 1 || (up.length == 1 && up[0].pod != down.pod)) revert EMalformed("reports about the pod");
        _check(down, 0);
        if (up.length == 1) {
            _check(up[0], 1);
            if (!(up[0].tMs > down.tMs && up[0].epoch >= down.epoch)) revert EOrder();
        }
        id = claimId(down, up);
        Claim storage c = claims[id];
        if (c.status != Status.None && c.status != Status.Voided) revert EDuplicate();
        Summary memory sm = summary(down, up);
        c.hash = keccak256(abi.encode(sm));
        c.deadlineMs = nowMs() + p.challengeWindowMs;
        c.claimant = claimant;
        c.status = Status.Pending;
        c.seq = 0;
        emit Claimed(id, sm.pod, claimant, sm.tDown, sm.tUp, sm.hasUp, c.deadlineMs, sm.rid, sm.evidence);
    }

    /// What the accounting needs of the evidence (down, up), and its hash.
    function summary(Report calldata down, Report[] calldata up) public pure returns (Summary memory sm) {
        bool hasUp = up.length == 1;
        sm = Summary(down.pod, reportId(down), down.tMs, hasUp ? up[0].tMs : 0, hasUp, keccak256(abi.encode(down, up)));
    }

    /// The id of the claim of this evidence (its de-duplication key).
    function claimId(Report calldata down, Report[] calldata up) public pure returns (bytes32) {
        return keccak256(abi.encode(reportId(down), up.length));
    }

    function claimStatus(bytes32 id) external view returns (Status) {
        return claims[id].status;
    }

    // ========================================================== challenges

    uint8 internal constant FRAUD_SIGNATURE = 1;
    uint8 internal constant FRAUD_COMMITTEE = 2;

    function _pending(bytes32 id, Report calldata down, Report[] calldata up) internal view returns (Claim storage c) {
        c = claims[id];
        if (c.status != Status.Pending) revert EState("claim not pending");
        if (nowMs() >= c.deadlineMs) revert EState("challenge window over");
        if (keccak256(abi.encode(summary(down, up))) != c.hash) revert EMalformed("not the claimed evidence");
    }

    function _report(Report calldata down, Report[] calldata up, uint8 which) internal pure returns (Report calldata) {
        if (which == 0) return down;
        if (which == 1 && up.length == 1) return up[0];
        revert EMalformed("no such report");
    }

    /// Voids a claim and pays its bond to the challenger; the claimant's
    /// validator loses fraudSlashPpm of its stake (from the next epoch,
    /// credited to the challenger as well).
    function _void(Claim storage c, bytes32 id, uint8 fraud, uint256 vote) internal {
        c.status = Status.Voided;
        uint64 st = _at(validators[c.claimant].stake, currentEpoch() + 1);
        uint64 cut = uint64((uint256(st) * params.fraudSlashPpm) / 1000000);
        _setStake(c.claimant, st - cut);
        owed[msg.sender] += (uint256(bondUnits) + cut) * UNIT;
        emit Challenged(id, msg.sender, fraud, vote, cut);
    }

    /// Proves that vote `vote` of report `which` (0 the DOWN, 1 the UP) of
    /// claim `id` does not verify: Ed25519 over "nines/vote/v1" || body by
    /// the vote's validator.  ENoFraud when it verifies.
    function challengeSignature(bytes32 id, Report calldata down, Report[] calldata up, uint8 which, uint256 vote)
        external
    {
        Claim storage c = _pending(id, down, up);
        Report calldata r = _report(down, up, which);
        Vote calldata v = r.votes[vote];
        bytes32 pk = validators[r.committee[v.member]].id;
        if (ed25519.verify(pk, abi.encodePacked("nines/vote/v1", v.body), v.r, v.s)) revert ENoFraud();
        _void(c, id, FRAUD_SIGNATURE, vote);
    }

    /// nines_rank of a validator for a pod in an epoch (PROTOCOL.md section 4).
    function rank(bytes32 pod, uint64 epoch, bytes32 validator) public view returns (uint64) {
        return hashes.rank(hashes.epochSeed(params.genesisSeed, epoch), pod, validator);
    }

    /// Proves that the claimed committee of report `which` is not the
    /// epoch's: validator `outsider`, eligible in the epoch and not in the
    /// claimed committee, ranks before claimed member `member`
    /// (rank ascending, ties by id: src/proto/committee.c).  ENoFraud otherwise.
    function challengeCommittee(bytes32 id, Report calldata down, Report[] calldata up, uint8 which, uint256 member,
                                uint32 outsider) external
    {
        Claim storage c = _pending(id, down, up);
        Report calldata r = _report(down, up, which);
        if (outsider >= validators.length || _at(validators[outsider].stake, r.epoch) < params.minValidatorStake) {
            revert ENoFraud();
        }
        for (uint256 j = 0; j < r.committee.length; j++) if (r.committee[j] == outsider) revert ENoFraud();
        bytes32 a = validators[outsider].id;
        bytes32 b = validators[r.committee[member]].id;
        uint64 ra = rank(r.pod, r.epoch, a);
        uint64 rb = rank(r.pod, r.epoch, b);
        if (!(ra < rb || (ra == rb && a < b))) revert ENoFraud();
        _void(c, id, FRAUD_COMMITTEE, member);
    }

    // ============================================================ finalize

    /// After the challenge window, by anyone: the claim is final, its bond
    /// is credited back to the claimant validator (withdrawCredit), and it
    /// takes the next place in finalize order.  O(1): the accounting is
    /// `account`'s, in that order.
    function finalize(bytes32 id) external {
        Claim storage c = claims[id];
        if (c.status != Status.Pending) revert EState("claim not pending");
        if (nowMs() < c.deadlineMs) revert EState("challenge window open");
        uint64 seq = order.finalized + 1;
        order.finalized = seq;
        c.status = Status.Finalized;
        c.seq = seq;
        _credit(c.claimant, bondUnits);
        emit Finalized(id, seq);
    }

    /// validators[index].credit += units, without the array's bounds check
    /// (a claimant index is checked at claim): the credit is the top 96
    /// bits of the validator's second slot (of four), beside the owner.
    function _credit(uint32 index, uint64 units) internal {
        Validator[] storage vs = validators;
        assembly ("memory-safe") {
            mstore(0, vs.slot)
            let slot := add(keccak256(0, 32), add(mul(index, 4), 1))
            sstore(slot, add(sload(slot), shl(160, units)))
        }
    }

    /// The accounting of finalized claim `id`, `sm` its evidence's summary
    /// (`summary`, or the Claimed event's fields): records its raw incident
    /// (or closes it with the UP), re-flags correlated outages and settles
    /// the pod.  By anyone, one claim a call, in finalize order: EState
    /// when `id` is not the next (order.accounted + 1), EMalformed when sm
    /// is not the claim's.
    function account(bytes32 id, Summary calldata sm) external {
        Claim storage c = claims[id];
        if (c.status != Status.Finalized) revert EState("claim not finalized");
        Order memory o = order;
        if (c.seq != o.accounted + 1) revert EState("an earlier claim is not accounted");
        if (keccak256(abi.encode(sm)) != c.hash) revert EMalformed("not the claimed evidence");
        c.status = Status.Accounted;
        order.accounted = c.seq;
        emit Accounted(id, c.seq);
        Accounting.finalize(book, params, sm.pod, sm.rid, sm.tDown, sm.tUp, sm.hasUp);
    }

    /// The merge gap after a merged incident of `duration` ms (nines_merge_gap_ms).
    function mergeGap(uint64 duration) external view returns (uint256) {
        return Accounting.mergeGap(params, duration);
    }

    /// The pod's merged incidents (accounting 1 to 3): the union of its
    /// uncorrelated raw incidents, clipped at paid_until, minus maintenance,
    /// merged; out[0..n).
    function groups(bytes32 pod) external view returns (Group[] memory out, uint256 n) {
        return Accounting.groups(book, params, pod);
    }

    /// Pays what each merged incident of the pod owes beyond what it has
    /// paid (Accounting.settle).  Anyone may call it (for the corr_window
    /// wait).
    function settle(bytes32 pod) external {
        Accounting.settle(book, params, pod);
    }

    /// What was paid while the raw of `pod` at `tDown` was its merged
    /// incident's first (a merged incident's total is Group.paid).
    function groupPaid(bytes32 pod, uint64 tDown) external view returns (uint64) {
        return book.groupPaid[pod][tDown];
    }

    function podCount() external view returns (uint256) {
        return book.allPods.length;
    }

    // ============================================= canary and validator pay

    /// A fee period's canary (LEDGER.md "Canary and validator pay").
    struct Canary {
        uint64 deadlineMs;         // answers accepted until; 0: not opened
        bool settled;              // fees taken and paid
        uint32[] answered;         // validator indexes, in answer order
    }

    mapping(uint64 => Canary) internal canaries;                    // by fee period
    mapping(uint64 => mapping(uint32 => bool)) public canaryAnswered;
    mapping(uint32 => uint64) public rewards;                       // base units paid to validators

    event CanaryOpened(uint64 indexed period, uint64 deadlineMs);
    event FeesSettled(uint64 indexed period, uint64 pool, uint32 validators);

    function periodOf(uint64 tMs) public view returns (uint64) {
        Params storage p = params;
        return tMs < p.genesisMs || p.feePeriodMs == 0 ? 0 : (tMs - p.genesisMs) / p.feePeriodMs;
    }

    /// Opens the current fee period's canary (once): answers are accepted
    /// for canaryWindowMs.  Anyone may open it, so the instant is the
    /// opener's choice, not the ledger's uniformly random one (CHAIN.md).
    function openCanary() external {
        uint64 t = nowMs();
        uint64 period = periodOf(t);
        Canary storage c = canaries[period];
        if (c.deadlineMs != 0) revert EExist();
        c.deadlineMs = t + params.canaryWindowMs;
        emit CanaryOpened(period, c.deadlineMs);
    }

    /// The owner of validator `index` answers the open canary of the
    /// current period before its deadline (EStale after; EExist twice).
    function answerCanary(uint32 index) external {
        if (index >= validators.length || validators[index].owner != msg.sender) revert EPerm();
        uint64 t = nowMs();
        uint64 period = periodOf(t);
        Canary storage c = canaries[period];
        if (c.deadlineMs == 0 || t > c.deadlineMs) revert EStale("no open canary");
        if (canaryAnswered[period][index]) revert EExist();
        canaryAnswered[period][index] = true;
        c.answered.push(index);
    }

    /// After fee period `period` has ended: every pod pays feePpm of its
    /// stake (within what is left), and the pool is split among the
    /// validators that answered its canary and hold at least
    /// minValidatorStake, in proportion to stake (floor; the dust stays in
    /// the contract).  A period nobody answered takes no fee.
    function settleFees(uint64 period) external {
        Params storage p = params;
        if (nowMs() < p.genesisMs + (period + 1) * p.feePeriodMs) revert EState("period not over");
        Canary storage c = canaries[period];
        if (c.settled) revert EState("fees already settled");
        c.settled = true;
        uint64 epoch = currentEpoch();
        uint256 total = 0;
        uint256 n = c.answered.length;
        uint64[] memory stake = new uint64[](n);
        for (uint256 i = 0; i < n; i++) {
            uint64 st = _at(validators[c.answered[i]].stake, epoch);
            if (st >= p.minValidatorStake) stake[i] = st;
            total += stake[i];
        }
        if (total == 0) return;
        uint256 pool = 0;
        for (uint256 i = 0; i < book.allPods.length; i++) {
            Pod storage pd = book.pods[book.allPods[i]];
            uint64 fee = uint64((uint256(pd.stake) * p.feePpm) / 1000000);
            uint64 left = pd.stake - pd.slashed - pd.fees;
            if (fee > left) fee = left;
            pd.fees += fee;
            pool += fee;
        }
        for (uint256 i = 0; i < n; i++) {
            uint64 share = uint64((pool * stake[i]) / total);
            rewards[c.answered[i]] += share;
            owed[validators[c.answered[i]].owner] += uint256(share) * UNIT;
        }
        emit FeesSettled(period, uint64(pool), uint32(n));
    }

    function podFees(bytes32 pod) external view returns (uint64) {
        return book.pods[pod].fees;
    }

    // ============================================================ payouts

    /// Sends the owner of validator `index` its returned bonds.
    function withdrawCredit(uint32 index) external {
        Validator storage v = validators[index];
        if (v.owner != msg.sender) revert EPerm();
        uint256 w = uint256(v.credit) * UNIT;
        v.credit = 0;
        (bool ok,) = msg.sender.call{value: w}("");
        require(ok, "transfer");
    }

    /// Bonds returned to validator `index`, base units.
    function creditOf(uint32 index) external view returns (uint96) {
        return validators[index].credit;
    }

    /// Sends the sender what it is owed (challenge rewards, validator pay).
    function withdraw() external {
        uint256 v = owed[msg.sender];
        owed[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: v}("");
        require(ok, "transfer");
    }
}
