/*  Private to src/core: the engine object's layout and the functions its
    parts share.  The parts call downwards only, in this order (each may
    call those listed before it):
        engine_state.c  helpers over the state (actions, slots, pods, members, send, probe)
        health.c        self-health ring
        swim.c          membership
        report.c        reports, seen ring, gossip, outbox
        round.c         rounds, duties, votes
        schedule.c      epochs and the tick that drives the parts' timers
        engine.c        the object and its events (the public API of engine.h)
    adversary.c stands apart (the standard adversaries a driver may hand
    in through the config's hooks).  Not an API: nothing outside src/core
    includes it. */
#ifndef NINES_ENGINE_STATE_H
#define NINES_ENGINE_STATE_H

#include "core/engine.h"
#include "base/idmap.h"
#include "proto/committee.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#define MAX_INFLIGHT    65536   /* probes in flight per engine (slot index in the low
                                   16 bits of a probe id) */
#define MAX_ROUNDS      64      /* rounds this node initiated, open at once */
#define MAX_DUTIES      256     /* confirm requests waiting for our vote */
/*  A pod timer was set to t: the pods' earliest due time may move earlier. */
#define POD_DUE(self, t) do { if ((t) && (t) < (self)->pods_due) (self)->pods_due = (t); } while (0)
#define HI_BUMP(hi, i)  do { if ((int) (i) + 1 > (hi)) (hi) = (int) (i) + 1; } while (0)
#define HI_TRIM(hi, arr) do { while ((hi) > 0 && !(arr) [(hi) - 1].used) (hi)--; } while (0)
#define MAX_GOSSIP      128     /* membership updates waiting to piggyback */
#define MAX_PINGS       16      /* outstanding SWIM probes (direct and relayed) */
#define MAX_OWN_VOTES   64      /* own signed votes remembered (doppelganger check) */

typedef enum { PROBE_SCHEDULED, PROBE_RETRY, PROBE_DUTY, PROBE_DOWN } probe_kind_t;

/*  Our view of one validator, at the validator's index in the registry
    (its id is reg->validators [index].id): 16 bytes, because each of the
    10^4 engines of nines-sim des holds 10^4 of them. */
typedef struct {
    uint64_t incarnation;           /* highest incarnation heard */
    uint32_t last_ack_s;            /* last ack, Unix seconds (shown, never decided on) */
    uint8_t state;                  /* nines_member_state_t */
} member_t;

typedef struct {
    uint32_t index;                 /* member (registry index) that turned SUSPECT */
    uint64_t since;                 /* when, ms */
} suspect_t;

typedef struct {
    nines_member_update_t u;        /* the update */
    uint32_t sends_left;            /* piggyback transmissions left */
} gossip_t;

typedef struct {
    uint8_t pod [NINES_ID_BYTES];   /* pod id */
    bool down;                      /* a DOWN report is open */
    uint64_t down_since;            /* its t_ms */
    uint64_t confirmed;             /* t_ms of the DOWN report held (the latest re-confirmation) */
    uint8_t *down_report;           /* that report, encoded (heap; a decoded report is
                                       38 KB, 10^4 simulated nodes hold one per down pod) */
    uint32_t down_len;              /* its bytes */
    uint8_t down_id [NINES_HASH_BYTES]; /* its report id */
    int last_outcome;               /* own last outcome, -1 none */
    uint64_t last_probe;            /* when */
    uint64_t retry_at;              /* next retry of a failed heartbeat, 0 none */
    uint8_t retries_left;           /* retries still to send */
    uint8_t retries_out;            /* retries sent, answer pending */
    bool retry_ok;                  /* a retry succeeded: no round */
    uint64_t next_down_probe;       /* next probe of a down pod, 0 none */
    uint64_t busy_until;            /* a round on this pod is in progress */
    bool busy_confirm;              /* ... re-confirming its outage: it holds back no UP round */
    uint64_t downtime;              /* closed incidents' total, ms */
    uint32_t incidents;             /* incidents seen */
} pod_t;

typedef struct {
    bool used;                      /* slot in use */
    bool done;                      /* report formed; kept until deadline */
    uint8_t round_id [NINES_HASH_BYTES];
    uint8_t pod [NINES_ID_BYTES];   /* pod under question */
    uint64_t epoch;                 /* committee epoch */
    uint64_t deadline;              /* round gives up, ms */
    uint64_t next_resend;           /* CONFIRM_REQ again to members without a vote */
    uint64_t opened;                /* initiator's observation, ms */
    uint8_t outcome;                /* initiator's failed outcome */
    uint8_t want;                   /* report kind this round can form */
    size_t n_members;               /* committee size */
    uint8_t members [NINES_REPORT_MAX_VOTES][NINES_ID_BYTES];
    uint64_t weights [NINES_REPORT_MAX_VOTES];
    uint64_t total;                 /* committee weight */
    uint64_t weight [3];            /* weight per verdict */
    size_t n_votes;                 /* votes received */
    nines_vote_t *votes;            /* heap, cap_votes (the committee size; kept for
                                       the slot's next round) */
    size_t cap_votes;
} round_t;

/*  A vote we owe: `planned` heartbeats at the instants at [], then one
    signed vote, kept (and re-sent when the initiator asks again) until
    the round is over. */
typedef struct {
    bool used;                      /* slot in use */
    uint8_t round_id [NINES_HASH_BYTES];
    uint8_t pod [NINES_ID_BYTES];
    uint64_t epoch;
    uint8_t initiator [NINES_ID_BYTES];
    uint32_t serial;                /* tells this duty's probes from a reused slot's */
    uint64_t expires;               /* dropped then (round over, probes lost) */
    uint8_t planned, sent, done;    /* attempts planned, sent, answered */
    uint8_t needed;                 /* failures a down vote needs, 0 = cannot vote down */
    uint8_t failed;                 /* failures answered */
    bool voted;                     /* vote signed (vote holds it) */
    bool want_down;                 /* the initiator's heartbeat failed (a DOWN round) */
    uint64_t at [NINES_VOTE_ATTEMPTS_MAX];      /* attempt send instants */
    uint8_t outcome [NINES_VOTE_ATTEMPTS_MAX];  /* attempt outcomes */
    uint8_t answered [NINES_VOTE_ATTEMPTS_MAX]; /* 1 = outcome known */
    nines_vote_t vote;              /* our signed vote */
} duty_t;

typedef struct {
    bool used;
    uint64_t id;                    /* probe id handed to the driver */
    uint8_t pod [NINES_ID_BYTES];
    int kind;                       /* probe_kind_t */
    int duty;                       /* PROBE_DUTY: duty index */
    uint32_t duty_serial;           /* PROBE_DUTY: that duty's serial */
    uint8_t attempt;                /* PROBE_DUTY: attempt index */
    uint64_t version;               /* registry version when asked */
} inflight_t;

typedef struct {
    uint64_t at;                    /* instant, Unix ms */
    uint32_t pod;                   /* index into the registry's pods */
} sched_t;

typedef struct {
    bool used;
    uint64_t seq;                   /* our sequence number */
    uint8_t target [NINES_ID_BYTES];/* member probed */
    uint64_t sent;                  /* when */
    bool indirect;                  /* PING_REQs sent */
    bool relay;                     /* we probe on behalf of requester */
    uint8_t requester [NINES_ID_BYTES];
    uint64_t requester_seq;
} ping_t;

/*  Evidence waiting for the ledger's acknowledgement, kept encoded (a
    decoded nines_evidence_t is 88 KB whatever its votes; 7-vote evidence
    encodes in about 2 KB): each of a des run's 1,000 engines that heard
    of an outage held one for its 2-10 s back-off. */
typedef struct {
    uint8_t *enc;                   /* encoded evidence (heap) */
    uint32_t len;                   /* its bytes */
    uint8_t pod [NINES_ID_BYTES];   /* its pod */
    nines_evidence_t *ev;           /* decoded on demand by nines_engine_outbox (heap), or NULL */
    uint8_t id [NINES_HASH_BYTES];  /* evidence id */
    uint64_t next_at;               /* next (re-)submission */
    uint64_t backoff;               /* current back-off */
} outbox_t;

struct _nines_engine_t {
    nines_keypair_t kp;             /* our identity */
    nines_rng_t rng;                /* injected randomness */
    nines_engine_config_t cfg;      /* local policy */
    const nines_registry_t *reg;    /* borrowed registry */
    uint64_t now;                   /* last time seen */
    uint64_t epoch;                 /* current epoch */
    bool epoch_started;             /* epoch scheduled at least once */

    pod_t *pods;                    /* pods with state, sorted by pod id (sparse) */
    size_t n_pods, cap_pods;
    member_t *members;              /* one per registry validator (ours unused) */
    size_t n_slots;                 /* = registry validators when members_version is current */
    size_t n_members;               /* other validators: n_slots minus us */
    uint64_t members_version;       /* registry version members mirror */
    long self_index;                /* our index in the registry, -1 none */

    int rounds_hi, duties_hi, inflight_hi; /* 1 + highest slot in use (scans stop there) */
    /* Slot tables grown on demand (an engine of 10^4 simulated ones uses a
       few slots; fixed arrays cost 200 KB each once backed by huge pages): */
    inflight_t *inflight;           /* probes handed to the driver */
    duty_t *duties;                 /* confirm requests waiting for our vote */
    round_t *rounds;                /* rounds we initiated */
    int cap_inflight, cap_duties, cap_rounds;
    uint8_t sched_key [NINES_HASH_BYTES]; /* keys the heartbeat instants (from the seed) */
    sched_t *sched;                 /* this epoch's heartbeats by instant (schedule.c) */
    size_t n_sched, cap_sched;
    size_t sched_next;              /* first not yet handed to the driver */
    uint64_t sched_horizon;         /* instants up to this were handed over */
    uint64_t sched_made;            /* when the epoch's schedule was first made, ms (0 none) */
    uint64_t pods_due;              /* earliest pod timer (0 = recompute: scan pods) */
    uint64_t next_probe_id;
    uint32_t duty_serial;           /* last duty serial handed out */
    uint32_t loss_ppm;              /* own heartbeat loss, EWMA over scheduled heartbeats */
    uint32_t msg_loss_ppm;          /* own SWIM loss, EWMA over direct pings unacked in time */

    uint8_t (*seen) [NINES_HASH_BYTES]; /* ring of report ids */
    size_t n_seen, seen_at;
    nines_report_t **reports;       /* ring of accepted reports */
    size_t n_reports, reports_at;

    outbox_t *outbox;
    size_t n_outbox, cap_outbox;

    size_t n_gossip;                /* gossip [] entries used */
    uint64_t ping_seq;
    uint32_t pings_mask;            /* bit i: pings [i] in use */
    uint64_t next_swim;             /* next protocol period */
    size_t swim_cursor;             /* round-robin position */
    uint64_t incarnation;
    uint32_t lhm;                   /* Lifeguard local health multiplier */

    size_t health_n, health_at;     /* ring of recent heartbeats, inline (a miss fewer
                                       per answer at 10^4 simulated nodes): */
    uint64_t health_keys [NINES_HEALTH_MAX]; /* first 8 bytes of the pod id */
    uint8_t health_fail [NINES_HEALTH_MAX];  /* 1 = failed */

    nines_action_t *actions;        /* FIFO */
    size_t act_head, act_tail, act_cap;

    nines_peer_msg_t *scratch;      /* encode/decode buffer (large, per thread) */
    uint8_t *frame;                 /* NINES_PEER_MSG_MAX bytes (per thread) */
    suspect_t *suspects;            /* members that turned SUSPECT (may be stale) */
    size_t n_suspects, cap_suspects;
    bool suspects_rescan;           /* list lost track: scan all members once */
    nines_idmap_t seen_map;         /* index over seen []: id -> ring slot */
    nines_engine_stats_t stats;
    uint64_t started_at;            /* first registry set, ms (0: not yet) */
    uint64_t listen_until;          /* doppelganger protection: no signing before */
    size_t own_n, own_at;           /* ring of the votes we signed (doppelganger check): */
    uint64_t own_sig [MAX_OWN_VOTES];   /* first 8 bytes of each signature */
    uint64_t own_t [MAX_OWN_VOTES];     /* its t_ms */
    /* Large tables last: hot fields above share a few cache lines. */
    gossip_t gossip [MAX_GOSSIP];
    ping_t pings [MAX_PINGS];
};


/*  Visit the pings in use (a bit per slot: scanning all slots cost a
    few cache lines per wakeup at 10^4 simulated nodes). */
#define FOR_PINGS(self, i) \
    for (uint32_t _m = (self)->pings_mask, i; _m && ((i) = (uint32_t) __builtin_ctz (_m), 1); _m &= _m - 1)

/*  How a report reached us: formed here, gossiped, or restored from disk. */
typedef enum { FROM_OWN, FROM_PEER, FROM_DISK } origin_t;

/*  ---- engine_state.c ---- */

void *engine_dup (const void *data, size_t len);

/*  Index of a free slot in a table whose entries start with a bool "used",
    grown on demand (doubling, new slots zeroed) up to max entries; -1 when
    full or out of memory.  Indexes stay valid across growth, pointers do
    not. */
int engine_free_slot (void **table, int *cap, int max, size_t size);

/*  Free the rounds and duties tables once none of their slots is in use
    (they grow with an outage's rounds and votes and were never given
    back: a des run's 1,000 engines grew by 11 MB over 50 outages). */
void engine_slots_release (nines_engine_t *self);

bool engine_is_me (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES]);

member_t *engine_member (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES]);

/*  The k-th other member (0 <= k < n_members), skipping our own slot. */
member_t *engine_member_at (nines_engine_t *self, size_t k);

const uint8_t *engine_member_id (nines_engine_t *self, const member_t *m);

pod_t *engine_pod (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES]);

/*  Pod state is sparse: an entry exists only for pods this node probes,
    votes on or knows to be down, so a node among 10^4 validators watching
    10^5 pods holds a few dozen entries, not 10^5 (nines-sim des).  Entries
    move on insertion: never hold a pod_t pointer across engine_pod_get. */
pod_t *engine_pod_add (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], bool registered);

/*  The entry of a pod that may not be registered (peer input): NULL if
    it is not. */
pod_t *engine_pod_get (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES]);

/*  Drop entries with nothing pending (when the config does not keep idle
    pods; their closed-incident totals go with them). */
void engine_pods_compact (nines_engine_t *self, uint64_t now);

nines_action_t *engine_push (nines_engine_t *self, int type);

uint64_t engine_rand (nines_engine_t *self, uint64_t bound);

/*  Send msg to peer to (no-op for ourselves or while isolated), with
    piggybacked membership updates: a SEND action. */
void engine_send (nines_engine_t *self, const uint8_t to [NINES_ID_BYTES], nines_peer_msg_t *msg);

/*  Ask the driver for a heartbeat to pod, sent at time at (0 or a past
    instant: now; the action's at says which).  The probe id carries the slot index in its low 16 bits,
    so the answer finds its slot at once. */
inflight_t *engine_probe (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], int kind, int duty, uint64_t at);

/*  ---- health.c ---- */

/*  A quorum reported pod down: its outage is the pod's, not ours, so the
    heartbeats recorded before the report leave the window (later ones
    are never recorded while it is down).  Otherwise each reported outage
    would linger as a failure until health_window newer heartbeats pushed
    it out, and the next independent outage would make us doubt our own
    network (issue 11: the third of 4 pods reported 15-22 s late). */
void engine_health_forget (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES]);

/*  A heartbeat to pod ended (failed or not): into the ring, verdict anew. */
void engine_health_record (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], bool failed);

/*  ---- swim.c ---- */

/*  Queue a membership update to piggyback about 3 log2(N) times (SWIM
    section 4.4), replacing an older one about the same member. */
void engine_gossip_update (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], uint8_t state, uint64_t incarnation);

/*  Apply a piggybacked membership update (PROTOCOL.md 7, SWIM §4.2).
    Incarnations never wrap and cannot be run up: an update more than
    NINES_INCARNATION_STEP above the incarnation we know, or a suspicion
    or death at UINT64_MAX (which no refutation could top), is ignored.
    Otherwise one message from any registered validator declaring another
    dead at the largest incarnation made every peer hold it dead for good:
    its refutation, incarnation + 1, wrapped to 0 (issue 11 item 4).  With
    the step bound, raising a member to the top takes 2^44 accepted
    updates; an honest member refutes once per suspicion. */
void engine_apply_update (nines_engine_t *self, const nines_member_update_t *u, uint64_t now);

void engine_on_ack (nines_engine_t *self, const nines_peer_msg_t *msg, uint64_t now);

void engine_ping (nines_engine_t *self, int type, const uint8_t to [NINES_ID_BYTES], const uint8_t target [NINES_ID_BYTES], uint64_t seq);

/*  A cleared ping slot marked used: a free one, or the oldest. */
ping_t *engine_ping_take (nines_engine_t *self);

void engine_swim_tick (nines_engine_t *self, uint64_t now);

/*  ---- round.c ---- */

/*  Failed heartbeats a `down` vote needs from us (PROTOCOL.md 8.1): at
    least vote_attempts, and enough k that, with one spare attempt, our
    own loss q gives C(k+1, k) q^k = (k + 1) q^k <= vote_false; k = 0 when
    no k below NINES_VOTE_ATTEMPTS_MAX does (we still measure: an `ok`
    is an `up` vote, but we will not vote down). */
uint8_t engine_attempts_needed (nines_engine_t *self);

/*  Is the outage of pod due for re-confirmation (PROTOCOL.md 8.2): the
    DOWN report held is at least down_confirm_ms old (an initiator), or
    3/4 of it (a member agreeing to vote: views of the latest report and
    clocks differ a little; a prober off the committee that missed the
    report and opens a DOWN round of its own gets a vote no sooner). */
bool engine_confirm_due (nines_engine_t *self, const pod_t *pod, uint64_t now, bool member);

/*  Ask the round's committee to measure and vote (CONFIRM_REQ): all of
    it when the round opens (first), later only the members whose vote
    has not arrived, since a request or a vote may have been lost. */
void engine_confirm_send (nines_engine_t *self, round_t *r, bool first);

/*  A vote whose signature verified reached us from a peer: one by our key,
    observed since our start (not ours from before a restart) and not among
    those we signed, is another instance's.  A vote older than everything
    the full ring remembers proves nothing. */
void engine_doppelganger_check (nines_engine_t *self, const nines_vote_t *vote);

/*  Take a duty: `planned` heartbeats to pod spread over vote_window after
    a random delay in [0, vote_delay) (stratified: attempt j at a random
    instant of the j-th slice of the window), then vote in the round.
    false when the duty table is full. */
bool engine_duty_add (nines_engine_t *self, const uint8_t round_id [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES], uint64_t epoch, const uint8_t initiator [NINES_ID_BYTES], bool want_down, uint64_t now);

/*  Send the duty's attempts that are due. */
void engine_duty_tick (nines_engine_t *self, int d, uint64_t now);

/*  Own heartbeat loss, an EWMA (weight 1/32) over the scheduled
    heartbeats: they go to pods drawn at random, so their failures measure
    our own links rather than a suspect pod (Lifeguard's local health,
    Dadgar et al. 2018, section 3, applied to heartbeats). */
void engine_loss_record (nines_engine_t *self, bool failed);

/*  May we sign a vote or open a round at now?  Not while listening after
    our start, and never again once another instance with our key showed
    (honest engines only). */
bool engine_may_sign (nines_engine_t *self, uint64_t now);

int engine_on_vote (nines_engine_t *self, const nines_vote_t *vote, uint64_t now);

void engine_open_round (nines_engine_t *self, pod_t *pod, uint8_t want, int outcome, uint64_t now);

/*  Sign and deliver our vote for a duty: `up` on an `ok` heartbeat (with
    the facade's signed answer as proof), `down` when every attempt
    failed and our own loss q makes q^failed at most vote_false, abstain
    otherwise, or when self-health or Lifeguard's multiplier at its cap
    say our own network is bad (PROTOCOL.md 8.1).  The answered attempts
    go into the vote, oldest first. */
void engine_vote (nines_engine_t *self, duty_t *duty, int outcome, const nines_hb_resp_t *resp, const uint8_t *nonce, uint64_t req_t_ms, uint64_t now);

/*  Deliver a signed vote to the round's initiator. */
void engine_vote_deliver (nines_engine_t *self, const uint8_t initiator [NINES_ID_BYTES], const nines_vote_t *vote, uint64_t now);

/*  ---- report.c ---- */

/*  A verified report, formed here (own) or gossiped: remember it, publish
    it, pass it on, and update the pod's incident. */
void engine_accept_report (nines_engine_t *self, const nines_report_t *report, origin_t origin, uint64_t now);

/*  The outbox entry o encoded into a SUBMIT or PERSIST action (type). */
void engine_outbox_action (nines_engine_t *self, const outbox_t *o, int type);

/*  Evidence for the ledger (a DOWN report, with up the UP report that
    closes it) into the outbox, unless it is there already: the former of
    the report (FROM_OWN) and a restored entry (FROM_DISK) submit at the
    next tick, anyone else after a random back-off; a new entry that did
    not come from disk is handed to the driver as a PERSIST action. */
void engine_outbox_add (nines_engine_t *self, const nines_report_t *down, const nines_report_t *up, origin_t origin, uint64_t now);

/*  Free outbox entry i and move the last one into its place. */
void engine_outbox_remove (nines_engine_t *self, size_t i);

bool engine_seen (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES]);

/*  Forget a report we saw, so that it is taken again when it comes back
    (a node that left a pod's committee and forgot the incident, then sits
    on the committee again). */
void engine_seen_forget (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES]);

/*  Send an encoded report we hold (a pod's open DOWN report) to one peer,
    or with to = NULL to the committee of epoch minus that of skip. */
void engine_send_held_report (nines_engine_t *self, const uint8_t *data, size_t len, const uint8_t *to, const uint8_t pod [NINES_ID_BYTES], uint64_t epoch, uint64_t skip);

/*  One vote's signature check through the config's hooks.vote_verify
    (nines_vote_verify without one): 0 or NINES_EBADSIG. */
int engine_vote_verify (nines_engine_t *self, const nines_vote_t *vote) NINES_WARN_UNUSED;

/*  The config's isolation hook: false without one. */
bool engine_isolated (nines_engine_t *self);

/*  Check a report a peer sent on its own, as the ledger will
    (nines_report_verify of src/proto/verify.c, with the config's
    vote verifier): 0 or its NINES_E* code. */
int engine_verify_report (nines_engine_t *self, const nines_report_t *report, uint64_t now) NINES_WARN_UNUSED;

#endif
