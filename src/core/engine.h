/*  The nines protocol engine, sans-I/O (DESIGN.md sections 3, 6 and 7).

    The engine never reads the clock, touches a socket or a file, or sleeps.
    A driver (ninesd with the real clock, CZMQ and libcurl; nines-sim des
    with a virtual clock; the unit tests) feeds it events:

        nines_engine_on_message     a peer frame arrived (bytes, now)
        nines_engine_on_probe_done  a heartbeat the engine asked for finished
        nines_engine_on_tick        time passed (call at next_wakeup or sooner)
        nines_engine_on_ack         the ledger acknowledged an evidence
        nines_engine_set_registry   the registry changed

    and drains actions with nines_engine_next_action:

        NINES_ACT_SEND      send data to peer (an encoded nines_peer_msg_t)
        NINES_ACT_PROBE     send a heartbeat to pod at action.at (up to one
                            SWIM period ahead: the epoch's scheduled ones are
                            handed over early, so none costs a wakeup), and
                            report it with probe_id
        NINES_ACT_REPORT    a new quorum report was accepted (encoded
                            report in data; kind, epoch, t_ms, signers and
                            round_id in the action): store it, publish it
        NINES_ACT_PERSIST   evidence entered the outbox (encoded
                            nines_evidence_t, key = its id): keep it on disk
                            and hand it back with nines_engine_restore_evidence
                            after a restart (not emitted for restored ones)
        NINES_ACT_SUBMIT    submit evidence (encoded nines_evidence_t) to
                            the ledger; key = evidence id for on_ack; repeated
                            with back-off until acknowledged
        NINES_ACT_MISBEHAVIOUR  a validator equivocated (encoded MISBEHAVIOUR
                            peer message with both votes as proof)

    All randomness (probe instants, nonces, delays, gossip targets) comes
    from the seed given at creation, so a run is deterministic for a given
    seed and event sequence.  Times are Unix milliseconds.

    Membership follows SWIM (Das, Gupta, Motivala 2002): one probe per
    protocol period, indirect probes through k peers, suspicion with
    incarnation numbers and refutation, updates piggybacked on every
    message; with Lifeguard's local health multiplier (Dadgar et al. 2018)
    stretching probe timeouts when this node itself is slow.

    Doppelganger protection (Ethereum validator clients): for the first
    doppelganger_epochs epochs after the registry is first set the engine
    votes in no round and opens none, and it listens for votes signed
    with its own key: votes are the only traffic a validator signs for its
    peers, and every quorum report carries its signers' votes.  A valid
    vote by our key that this engine did not sign, with an observation
    time at or after its start (so not one of our own from before a
    restart), means another instance runs with our key: the engine stops
    voting and opening rounds for good and raises stats.doppelganger. */
#ifndef NINES_ENGINE_H
#define NINES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/ids.h"
#include "proto/registry.h"
#include "proto/verify.h"
#include "wire/wire.h"

typedef struct _nines_engine_t nines_engine_t;

typedef enum {
    NINES_ACT_SEND = 1,
    NINES_ACT_PROBE = 2,
    NINES_ACT_REPORT = 3,
    NINES_ACT_SUBMIT = 4,
    NINES_ACT_MISBEHAVIOUR = 5,
    NINES_ACT_PERSIST = 6
} nines_action_type_t;

/*  One thing for the driver to do.  Every action carries its time, at
    (as quiche's send_info does): the instant it is due, Unix ms; the
    engine's current time for everything but PROBE, which may be handed
    over ahead of its instant.  The fields of one type share storage (the
    union below): read only those of the action's type. */
typedef struct {
    int type;                       /* nines_action_type_t */
    uint64_t at;                    /* when to carry it out, Unix ms */
    uint8_t pod [NINES_ID_BYTES];   /* PROBE, REPORT, SUBMIT, PERSIST: the pod */
    uint8_t key [NINES_HASH_BYTES]; /* SUBMIT, PERSIST: evidence id; REPORT: report id */
    uint8_t *data;                  /* SEND/REPORT/SUBMIT/PERSIST/MISBEHAVIOUR payload (owned) */
    size_t len;                     /* payload bytes */
    union {
        uint8_t peer [NINES_ID_BYTES];  /* SEND: destination validator */
        struct {                    /* PROBE */
            uint64_t probe_id;      /* tag to hand back in on_probe_done */
            uint64_t timeout_ms;    /* give up after this, ms: probe_timeout, widened up to
                                       twice by the Lifeguard multiplier (late answers) */
        };
        struct {                    /* REPORT: the report's fields (data holds it encoded) */
            uint8_t round_id [NINES_HASH_BYTES];
            uint64_t epoch;         /* committee epoch */
            uint64_t t_ms;          /* observation time, Unix ms */
            uint32_t signers;       /* votes it carries */
            uint8_t kind;           /* NINES_REPORT_DOWN or NINES_REPORT_UP */
        };
    };
} nines_action_t;

/*  Free an action's payload (safe on a zeroed action). */
void nines_action_clear (nines_action_t *action);

/*  Who a quorum report is pushed to (nines_engine_config_t.report_scope). */
typedef enum {
    NINES_SCOPE_ALL = 0,            /* every validator (DESIGN.md 7.6): each node
                                       knows every incident; per-node load grows
                                       with the network's report rate */
    NINES_SCOPE_COMMITTEE = 1       /* the pod's committees of the report's epoch
                                       and of the current one; an open DOWN report
                                       is handed on to each new committee at the
                                       epoch boundary, and anyone else learns it by
                                       asking (PROTOCOL.md 7.6): per-node load stays
                                       flat as the network grows */
} nines_report_scope_t;

#define NINES_HEALTH_MAX 64         /* largest self-health window */

/*  Largest rise of a member's incarnation one membership update may make
    (PROTOCOL.md 7): an update further above the incarnation a receiver
    knows is ignored, so nobody can run a member's incarnation up to the
    top of the u64 range, where it could no longer refute. */
#define NINES_INCARNATION_STEP (1ULL << 20)

/*  "all" or "committee" into *scope: 0, or NINES_EINVAL for anything else
    (config files and command lines). */
int nines_report_scope_parse (const char *text, uint32_t *scope);

/*  "all" or "committee". */
const char *nines_report_scope_name (uint32_t scope);

/*  An adversary: how a validator that is not honest departs from the
    protocol, for the simulator and fault tests only.  The engine knows
    the honest validator alone; a driver that wants another one hands a
    policy in through nines_engine_hooks_t (src/core/adversary.h names the
    standard ones: always_down, always_up, silent, equivocate).  Any
    adversary also skips the honest validator's restraint: it signs while
    doppelganger protection listens, and never abstains, whether its own
    network looks degraded or its failed attempts are too few to be sure. */
typedef struct {
    int outcome;                    /* < 0: act on each own heartbeat's real outcome;
                                       else every own heartbeat reads as this
                                       nines_outcome_t (always_down: a timeout, so it
                                       also opens rounds) */
    int verdict;                    /* < 0: vote what was seen (up if the heartbeat
                                       answered, down otherwise); else every vote
                                       says this nines_verdict_t */
    bool silent;                    /* signs no vote and answers no ping */
    bool equivocates;               /* signs the conflicting vote too */
} nines_adversary_t;

/*  What a driver supplies beside the protocol (nines_engine_config_t.hooks);
    each field NULL means the daemon's own behaviour.  arg is passed to
    every function. */
typedef struct {
    void *arg;
    /*  The signature check of one vote (nines_vote_verify_fn): 0 or
        NINES_EBADSIG.  NULL: nines_vote_verify.  nines-sim des passes a
        cache shared by its 10^4 engines, so that a gossiped report costs
        its Ed25519 checks once (sim/sigcache.h). */
    nines_vote_verify_fn *vote_verify;
    /*  Fault hook, asked at every event: true while the validator is cut
        off.  Then the engine neither sends nor accepts anything, starts no
        SWIM period, and every heartbeat answered meanwhile counts as
        failed.  NULL: never (ninesd's `fault --isolate`, nines-sim's
        validator_isolate fault). */
    bool (*isolated) (void *arg);
    const nines_adversary_t *adversary; /* borrowed; NULL: honest */
} nines_engine_hooks_t;

/*  Engine tunables that are local policy, not protocol parameters. */
typedef struct {
    uint64_t swim_period_ms;        /* SWIM protocol period (1000) */
    uint64_t swim_ack_timeout_ms;   /* direct ping timeout before LHM (300) */
    uint32_t swim_k;                /* indirect probers (3) */
    uint32_t swim_suspect_periods;  /* periods a suspect has to refute (5) */
    uint32_t lhm_max;               /* Lifeguard local health multiplier cap (8) */
    uint32_t gossip_fanout;         /* NINES_SCOPE_ALL: peers a new report is pushed to; 0 = all */
    uint32_t report_scope;          /* nines_report_scope_t (NINES_SCOPE_ALL) */
    uint64_t submit_backoff_ms;     /* first re-submission delay (2000), doubling */
    uint64_t submit_backoff_max_ms; /* cap (60000) */
    uint32_t health_window;         /* recent probes kept for self-health (16, at most
                                       NINES_HEALTH_MAX; pods told apart by the first 8
                                       bytes of their id); a pod's heartbeats leave it
                                       when a DOWN report on it is accepted and are not
                                       recorded until it is reported up */
    uint32_t health_min_pods;       /* distinct pods failed before degrading (3) */
    uint32_t health_fail_ppm;       /* failing fraction that means degraded (600000) */
    uint32_t max_reports;           /* reports kept in memory for queries (1024) */
    uint32_t max_seen;              /* report ids remembered for de-duplication (4096) */
    uint32_t doppelganger_epochs;   /* doppelganger protection: epochs after start during
                                       which we only listen for votes signed with our key
                                       and sign none (2; 0 = off); see
                                       nines_engine_stats_t.doppelganger */
    bool keep_idle_pods;            /* keep an entry for every registered pod (true);
                                       false: only pods with pending work or history
                                       (the simulator's 10^5 pods x 10^4 nodes) */
    nines_engine_hooks_t hooks;     /* driver-supplied checks and faults (none) */
} nines_engine_config_t;

void nines_engine_config_default (nines_engine_config_t *config);

/*  Create an engine for the validator kp (copied) with a 32-byte RNG seed
    and optional config (NULL = defaults).  NULL on allocation failure. */
nines_engine_t *nines_engine_new (const nines_keypair_t *kp, const uint8_t seed [32],
                                  const nines_engine_config_t *config);
void nines_engine_destroy (nines_engine_t **self_p);

/*  Use registry (borrowed: the driver keeps it alive and calls again after
    every change).  Pods and members are reconciled with their state kept,
    members by id, which needs the previous registry alive and unchanged
    until this returns: pass a new object for a changed registry (a
    registry changed in place resets every member to alive). */
void nines_engine_set_registry (nines_engine_t *self, const nines_registry_t *registry, uint64_t now);

/*  A peer frame.  Returns 0, or a negative NINES_E* code when the frame is
    malformed, from an unknown validator or fails verification (counted and
    dropped: the engine state is unchanged). */
int nines_engine_on_message (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now);

/*  A heartbeat finished.  outcome is a nines_outcome_t.  For OK and
    APP_UNHEALTHY, resp is the facade's verified signed response and
    nonce / req_t_ms those of the request (kept as proof in up votes);
    otherwise they may be NULL / 0. */
void nines_engine_on_probe_done (nines_engine_t *self, uint64_t probe_id, int outcome,
                                 const nines_hb_resp_t *resp, const uint8_t *nonce,
                                 uint64_t req_t_ms, uint64_t now);

/*  Advance time. */
void nines_engine_on_tick (nines_engine_t *self, uint64_t now);

/*  The ledger acknowledged the evidence with this id: stop re-submitting. */
void nines_engine_on_ack (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES]);

/*  Re-load a report persisted before a restart (no REPORT action is
    emitted); restores incident state.  0 or a decode/verify error. */
int nines_engine_restore_report (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now);

/*  Re-load an unacknowledged evidence from the outbox (submitted again at
    the next tick).  0 or a decode error. */
int nines_engine_restore_evidence (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now);

/*  Restore our own SWIM incarnation persisted before a restart: raised to
    incarnation (never lowered; at most UINT64_MAX - 1), so that peers that
    hold us dead at an incarnation far above 0 still take our refutation
    (updates rising more than NINES_INCARNATION_STEP are ignored). */
void nines_engine_restore_incarnation (nines_engine_t *self, uint64_t incarnation);

/*  Pop the next action; false when none.  The caller owns action->data
    and frees it with nines_action_clear. */
bool nines_engine_next_action (nines_engine_t *self, nines_action_t *action);

/*  Earliest time the engine wants a tick (UINT64_MAX when idle). */
uint64_t nines_engine_next_wakeup (nines_engine_t *self);

/*  ---- queries (for the daemon's query socket and the simulator) ---- */

typedef struct {
    uint64_t probes;                /* heartbeats requested */
    uint64_t probes_failed;         /* heartbeats that failed */
    uint64_t rounds_opened;         /* rounds this node initiated */
    uint64_t rounds_down;           /* ... that formed a DOWN report */
    uint64_t rounds_up;             /* ... that formed an UP report */
    uint64_t rounds_failed;         /* ... that timed out without quorum */
    uint64_t votes_sent;            /* votes signed */
    uint64_t votes_down;            /* ... with verdict down */
    uint64_t votes_abstain;         /* ... abstaining (own network too lossy to judge) */
    uint64_t confirms_resent;       /* CONFIRM_REQs sent again to members without a vote */
    uint32_t loss_ppm;              /* own heartbeat loss estimate (EWMA, ppm) */
    uint64_t reports;               /* distinct reports accepted */
    uint64_t msgs_in;               /* peer frames accepted */
    uint64_t msgs_bad;              /* peer frames rejected */
    uint64_t msgs_out;              /* peer frames sent */
    uint64_t bytes_out;             /* peer bytes sent */
    uint64_t evidence_submitted;    /* SUBMIT actions emitted */
    uint64_t evidence_acked;        /* acknowledged by the ledger */
    uint64_t misbehaviours;         /* equivocations detected */
    bool degraded;                  /* self-health says our network is bad */
    bool listening;                 /* doppelganger protection: still in the first
                                       doppelganger_epochs after start, signing nothing */
    bool doppelganger;              /* a vote signed with our key that we did not sign,
                                       observed after our start, reached us: another
                                       instance holds our key, so we sign no vote and open
                                       no round again (until restarted), as Ethereum
                                       validator clients' doppelganger protection does */
    uint64_t epoch;                 /* current epoch */
    uint64_t incarnation;           /* our SWIM incarnation */
    uint32_t lhm;                   /* Lifeguard local health multiplier */
} nines_engine_stats_t;

void nines_engine_stats (nines_engine_t *self, nines_engine_stats_t *stats);

typedef struct {
    uint8_t id [NINES_ID_BYTES];    /* member id */
    uint8_t state;                  /* nines_member_state_t */
    uint64_t incarnation;           /* last known incarnation */
    uint64_t last_ack_ms;           /* last direct or indirect ack (whole seconds) */
} nines_member_info_t;

/*  Copy up to max members into out; returns the number of members. */
size_t nines_engine_members (nines_engine_t *self, nines_member_info_t *out, size_t max);

typedef struct {
    uint8_t pod [NINES_ID_BYTES];   /* pod id */
    bool down;                      /* a DOWN report is open */
    int last_outcome;               /* last own heartbeat outcome, -1 none */
    uint64_t last_probe_ms;         /* when */
    uint64_t down_since_ms;         /* t_ms of the open DOWN report */
    uint64_t downtime_ms;           /* closed incidents' total known here */
    uint32_t incidents;             /* incidents seen */
} nines_pod_status_t;

/*  Status of every registered pod in pod-id order (up to max rows into
    out); pods this node holds no state for read as never probed
    (last_outcome -1).  Returns the number of registered pods. */
size_t nines_engine_pods (nines_engine_t *self, nines_pod_status_t *out, size_t max);

/*  Recent accepted reports, newest last: pointers valid until the next
    event, each allocated with its n_votes votes only (read votes [i] for
    i < n_votes; do not copy the struct whole).  Returns how many (at
    most max). */
size_t nines_engine_reports (nines_engine_t *self, const nines_report_t **out, size_t max);

/*  Evidence still waiting for an acknowledgement: copies up to max
    pointers (valid until the next event) and returns how many there are
    in all (call with max = 0 to size a buffer), like nines_engine_members. */
size_t nines_engine_outbox (nines_engine_t *self, const nines_evidence_t **out, size_t max);

#endif
