/*  nines protocol engine: see engine.h.  Sans-I/O: every function takes
    "now" from its caller and returns work as actions. */
#include "core/engine.h"
#include "proto/committee.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    uint64_t next_probe;            /* scheduled heartbeat this epoch, 0 none */
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
    bool used;
    uint64_t seq;                   /* our sequence number */
    uint8_t target [NINES_ID_BYTES];/* member probed */
    uint64_t sent;                  /* when */
    bool indirect;                  /* PING_REQs sent */
    bool relay;                     /* we probe on behalf of requester */
    uint8_t requester [NINES_ID_BYTES];
    uint64_t requester_seq;
} ping_t;

typedef struct {
    nines_evidence_t *ev;           /* heap */
    uint8_t id [NINES_HASH_BYTES];  /* evidence id */
    uint64_t next_at;               /* next (re-)submission */
    uint64_t backoff;               /* current back-off */
} outbox_t;

struct _nines_engine_t {
    nines_keypair_t kp;             /* our identity */
    nines_rng_t rng;                /* injected randomness */
    nines_engine_config_t cfg;      /* local policy */
    const nines_registry_t *reg;    /* borrowed registry */
    nines_behaviour_t behaviour;    /* adversary setting */
    bool isolated;                  /* fault hook */
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
    uint32_t *seen_tab;             /* hash index over seen []: ring slot + 1, 0 empty */
    size_t seen_mask;               /* seen_tab slots - 1 */
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

/*  ---- small helpers ---- */

void
nines_engine_config_default (nines_engine_config_t *c)
{
    memset (c, 0, sizeof *c);
    c->swim_period_ms = 1000;
    c->swim_ack_timeout_ms = 300;
    c->swim_k = 3;
    c->swim_suspect_periods = 5;
    c->lhm_max = 8;
    c->gossip_fanout = 0;
    c->submit_backoff_ms = 2000;
    c->submit_backoff_max_ms = 60000;
    c->health_window = 16;
    c->health_min_pods = 3;
    c->health_fail_ppm = 600000;
    c->max_reports = 1024;
    c->max_seen = 4096;
    c->doppelganger_epochs = 2;
    c->keep_idle_pods = true;
}

int
nines_report_scope_parse (const char *text, uint32_t *scope)
{
    if (text && strcmp (text, "all") == 0)
        *scope = NINES_SCOPE_ALL;
    else
    if (text && strcmp (text, "committee") == 0)
        *scope = NINES_SCOPE_COMMITTEE;
    else
        return NINES_EINVAL;
    return NINES_OK;
}

const char *
nines_report_scope_name (uint32_t scope)
{
    return scope == NINES_SCOPE_COMMITTEE ? "committee" : "all";
}

static const char *const s_behaviours [] = { "honest", "always_down", "always_up", "silent", "equivocate" };

int
nines_behaviour_parse (const char *text, int *behaviour)
{
    for (int i = 0; text && i < (int) (sizeof s_behaviours / sizeof s_behaviours [0]); i++)
        if (strcmp (text, s_behaviours [i]) == 0) {
            *behaviour = i;
            return 0;
        }
    return NINES_EINVAL;
}

const char *
nines_behaviour_name (int behaviour)
{
    return behaviour >= 0 && behaviour < (int) (sizeof s_behaviours / sizeof s_behaviours [0])
         ? s_behaviours [behaviour] : "?";
}

void
nines_action_clear (nines_action_t *a)
{
    free (a->data);
    a->data = NULL;
    a->len = 0;
}

static uint64_t
s_rand (nines_engine_t *self, uint64_t bound)
{
    return nines_rng_uniform (&self->rng, bound);
}

static nines_action_t *
s_push (nines_engine_t *self, int type)
{
    if (self->act_tail - self->act_head == self->act_cap) {
        size_t cap = self->act_cap ? self->act_cap * 2 : 64;
        nines_action_t *grown = calloc (cap, sizeof *grown);
        if (!grown)
            return NULL;
        for (size_t i = self->act_head; i < self->act_tail; i++)
            grown [i - self->act_head] = self->actions [i % self->act_cap];
        self->act_tail -= self->act_head;
        self->act_head = 0;
        free (self->actions);
        self->actions = grown;
        self->act_cap = cap;
    }
    nines_action_t *a = &self->actions [self->act_tail++ % self->act_cap];
    memset (a, 0, sizeof *a);
    a->type = type;
    return a;
}

bool
nines_engine_next_action (nines_engine_t *self, nines_action_t *action)
{
    if (self->act_head == self->act_tail)
        return false;
    *action = self->actions [self->act_head++ % self->act_cap];
    if (self->act_head == self->act_tail)
        self->act_head = self->act_tail = 0;
    return true;
}

/*  Index of a free slot in a table whose entries start with a bool "used",
    grown on demand (doubling, new slots zeroed) up to max entries; -1 when
    full or out of memory.  Indexes stay valid across growth, pointers do
    not. */
static int
s_free_slot (void **table, int *cap, int max, size_t size)
{
    char *t = *table;
    for (int i = 0; i < *cap; i++)
        if (!*(const bool *) (t + (size_t) i * size))
            return i;
    if (*cap >= max)
        return -1;
    int grown_cap = *cap ? 2 * *cap : 4;
    if (grown_cap > max)
        grown_cap = max;
    char *grown = realloc (t, (size_t) grown_cap * size);
    if (!grown)
        return -1;
    memset (grown + (size_t) *cap * size, 0, (size_t) (grown_cap - *cap) * size);
    *table = grown;
    int at = *cap;
    *cap = grown_cap;
    return at;
}

static void *
s_dup (const void *data, size_t len)
{
    void *copy = malloc (len ? len : 1);
    if (copy)
        memcpy (copy, data, len);
    return copy;
}

/*  Binary search of the sorted pod entries: the entry or NULL, with *at
    its index or where it would be inserted. */
static pod_t *
s_pod_search (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], size_t *at)
{
    size_t lo = 0, hi = self->n_pods;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp (self->pods [mid].pod, id, NINES_ID_BYTES);
        if (c == 0) {
            *at = mid;
            return &self->pods [mid];
        }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    *at = lo;
    return NULL;
}

static pod_t *
s_pod (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    size_t at;
    return s_pod_search (self, id, &at);
}

/*  Pod state is sparse: an entry exists only for pods this node probes,
    votes on or knows to be down, so a node among 10^4 validators watching
    10^5 pods holds a few dozen entries, not 10^5 (nines-sim des).  Entries
    move on insertion: never hold a pod_t pointer across s_pod_get. */
static pod_t *
s_pod_add (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], bool registered)
{
    size_t lo;
    pod_t *found = s_pod_search (self, id, &lo);
    if (found)
        return found;
    if (!self->reg || (!registered && !nines_registry_pod (self->reg, id)))
        return NULL;
    if (self->n_pods == self->cap_pods) {
        size_t cap = self->cap_pods ? 2 * self->cap_pods : 16;
        pod_t *grown = realloc (self->pods, cap * sizeof *grown);
        if (!grown)
            return NULL;
        self->pods = grown;
        self->cap_pods = cap;
    }
    memmove (&self->pods [lo + 1], &self->pods [lo], (self->n_pods - lo) * sizeof (pod_t));
    self->n_pods++;
    pod_t *pod = &self->pods [lo];
    memset (pod, 0, sizeof *pod);
    memcpy (pod->pod, id, NINES_ID_BYTES);
    pod->last_outcome = -1;
    return pod;
}

/*  The entry of a pod that may not be registered (peer input): NULL if
    it is not. */
static pod_t *
s_pod_get (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    return s_pod_add (self, id, false);
}

/*  Drop entries with nothing pending (when the config does not keep idle
    pods; their closed-incident totals go with them). */
static void
s_pods_compact (nines_engine_t *self, uint64_t now)
{
    if (self->cfg.keep_idle_pods)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < self->n_pods; i++) {
        pod_t *pod = &self->pods [i];
        bool idle = !pod->down && !pod->next_probe && !pod->retry_at && !pod->retries_out && !pod->next_down_probe
                 && pod->busy_until <= now && !pod->down_report;
        if (!idle)
            self->pods [kept++] = *pod;
    }
    self->n_pods = kept;
}

static member_t *
s_member (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    if (!self->reg || !self->members || self->reg->version != self->members_version)
        return NULL;
    long at = nines_registry_validator_index (self->reg, id);
    if (at < 0 || at == self->self_index || (size_t) at >= self->n_slots)
        return NULL;
    return &self->members [at];
}

/*  The k-th other member (0 <= k < n_members), skipping our own slot. */
static member_t *
s_member_at (nines_engine_t *self, size_t k)
{
    return &self->members [k + (self->self_index >= 0 && k >= (size_t) self->self_index)];
}

static const uint8_t *
s_member_id (nines_engine_t *self, const member_t *m)
{
    return self->reg->validators [m - self->members].id;
}

static bool
s_is_me (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    return memcmp (self->kp.pk, id, NINES_ID_BYTES) == 0;
}

/*  ---- lifecycle ---- */

nines_engine_t *
nines_engine_new (const nines_keypair_t *kp, const uint8_t seed [32], const nines_engine_config_t *config)
{
    nines_engine_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->kp = *kp;
    nines_rng_init (&self->rng, seed);
    if (config)
        self->cfg = *config;
    else
        nines_engine_config_default (&self->cfg);
    if (self->cfg.max_reports == 0)
        self->cfg.max_reports = 1;
    if (self->cfg.health_window == 0)
        self->cfg.health_window = 1;
    if (self->cfg.health_window > NINES_HEALTH_MAX)
        self->cfg.health_window = NINES_HEALTH_MAX;
    if (self->cfg.max_seen == 0)
        self->cfg.max_seen = 1;
    self->seen = calloc (self->cfg.max_seen, NINES_HASH_BYTES);
    size_t tab = 16;
    while (tab < 2 * (size_t) self->cfg.max_seen)
        tab *= 2;
    self->seen_tab = calloc (tab, sizeof (uint32_t));
    self->seen_mask = tab - 1;
    self->reports = calloc (self->cfg.max_reports, sizeof (nines_report_t *));
    /* The encode/decode buffers live only within one event call, so the
       engines of one thread share them (10^4 engines would otherwise
       hold 1 GB of buffers in the simulator). */
    static _Thread_local nines_peer_msg_t t_scratch;
    static _Thread_local uint8_t t_frame [NINES_PEER_MSG_MAX];
    self->scratch = &t_scratch;
    self->frame = t_frame;
    self->lhm = 1;
    if (!self->seen || !self->seen_tab || !self->reports || !self->scratch || !self->frame)
        nines_engine_destroy (&self);
    return self;
}

void
nines_engine_destroy (nines_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_engine_t *self = *self_p;
    for (size_t i = 0; i < self->n_pods; i++)
        free (self->pods [i].down_report);
    free (self->pods);
    free (self->members);
    free (self->inflight);
    for (int i = 0; i < self->cap_rounds; i++)
        free (self->rounds [i].votes);
    free (self->rounds);
    free (self->duties);
    free (self->seen);
    free (self->seen_tab);
    free (self->suspects);
    if (self->reports)
        for (size_t i = 0; i < self->cfg.max_reports; i++)
            free (self->reports [i]);
    free (self->reports);
    for (size_t i = 0; i < self->n_outbox; i++)
        free (self->outbox [i].ev);
    free (self->outbox);
    nines_action_t a;
    while (nines_engine_next_action (self, &a))
        nines_action_clear (&a);
    free (self->actions);
    nines_keypair_wipe (&self->kp);
    free (self);
    *self_p = NULL;
}

void
nines_engine_set_behaviour (nines_engine_t *self, nines_behaviour_t behaviour)
{
    self->behaviour = behaviour;
}

void
nines_engine_set_isolated (nines_engine_t *self, bool isolated)
{
    self->isolated = isolated;
}

/*  Reconcile pods and members with a new registry, keeping known state. */
void
nines_engine_set_registry (nines_engine_t *self, const nines_registry_t *reg, uint64_t now)
{
    const nines_registry_t *old_reg = self->reg;
    self->reg = reg;
    if (!self->started_at) {
        self->started_at = now ? now : 1;
        self->listen_until = self->started_at + (uint64_t) self->cfg.doppelganger_epochs * reg->params.epoch_ms;
        self->stats.listening = self->cfg.doppelganger_epochs > 0;
    }
    /* Keep the state of pods still registered; with keep_idle_pods every
       registered pod gets an entry (a daemon lists them all). */
    size_t kept = 0;
    for (size_t i = 0; i < self->n_pods; i++) {
        if (nines_registry_pod (reg, self->pods [i].pod))
            self->pods [kept++] = self->pods [i];
        else
            free (self->pods [i].down_report);
    }
    self->n_pods = kept;
    self->pods_due = 0;             /* rescan */
    if (self->cfg.keep_idle_pods)
        for (size_t i = 0; i < reg->n_pods; i++)
            s_pod_get (self, reg->pods [i].pod);

    /* Members: kept by id when the previous registry is another object
       (still alive and unchanged, as the contract says); a registry
       changed in place cannot be mapped, so every view starts afresh. */
    if (old_reg != reg || self->members_version != reg->version || !self->members) {
        member_t *members = calloc (reg->n_validators ? reg->n_validators : 1, sizeof *members);
        for (size_t i = 0; members && i < reg->n_validators; i++) {
            long was = old_reg && old_reg != reg && self->members
                     ? nines_registry_validator_index (old_reg, reg->validators [i].id) : -1;
            if (was >= 0 && (size_t) was < self->n_slots)
                members [i] = self->members [was];
            else {
                members [i].state = NINES_MEMBER_ALIVE;
                members [i].last_ack_s = (uint32_t) (now / 1000);
            }
        }
        free (self->members);
        self->members = members;
        self->n_slots = members ? reg->n_validators : 0;
    }
    self->members_version = reg->version;
    self->self_index = nines_registry_validator_index (reg, self->kp.pk);
    self->n_members = self->n_slots - (self->self_index >= 0 && self->n_slots > 0);
    self->n_suspects = 0;
    self->suspects_rescan = true;   /* indexes changed: re-scan once */
    self->epoch_started = false;    /* re-run sortition with the new set */
}

/*  ---- sending ---- */

/*  Piggyback up to NINES_PIGGYBACK_MAX membership updates (SWIM §4.4):
    each is sent about 3 log2(N) times, newest first. */
static void
s_piggyback (nines_engine_t *self, nines_peer_msg_t *msg)
{
    msg->n_updates = 0;
    for (size_t i = self->n_gossip; i-- > 0 && msg->n_updates < NINES_PIGGYBACK_MAX; ) {
        msg->updates [msg->n_updates++] = self->gossip [i].u;
        if (--self->gossip [i].sends_left == 0) {
            memmove (&self->gossip [i], &self->gossip [i + 1], (self->n_gossip - i - 1) * sizeof (gossip_t));
            self->n_gossip--;
        }
    }
}

static void
s_send (nines_engine_t *self, const uint8_t to [NINES_ID_BYTES], nines_peer_msg_t *msg)
{
    if (self->isolated || s_is_me (self, to))
        return;
    memcpy (msg->from, self->kp.pk, NINES_ID_BYTES);
    s_piggyback (self, msg);
    /* A member we hold suspect or dead is told so directly, so it can
       refute with a higher incarnation even after the rumour has stopped
       spreading (SWIM §4.2). */
    member_t *peer = s_member (self, to);
    if (peer && peer->state != NINES_MEMBER_ALIVE) {
        if (msg->n_updates == NINES_PIGGYBACK_MAX)
            msg->n_updates--;
        nines_member_update_t *u = &msg->updates [msg->n_updates++];
        memcpy (u->id, to, NINES_ID_BYTES);
        u->state = peer->state;
        u->incarnation = peer->incarnation;
    }
    size_t len = 0;
    if (nines_peer_msg_encode (msg, self->frame, NINES_PEER_MSG_MAX, &len))
        return;
    nines_action_t *a = s_push (self, NINES_ACT_SEND);
    if (!a)
        return;
    memcpy (a->peer, to, NINES_ID_BYTES);
    a->data = s_dup (self->frame, len);
    a->len = a->data ? len : 0;
    self->stats.msgs_out++;
    self->stats.bytes_out += len;
}

static void
s_gossip_update (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], uint8_t state, uint64_t incarnation)
{
    uint32_t n = (uint32_t) self->n_members + 1, log2n = 1;
    while ((1u << log2n) < n)
        log2n++;
    for (size_t i = 0; i < self->n_gossip; i++)
        if (memcmp (self->gossip [i].u.id, id, NINES_ID_BYTES) == 0) {
            memmove (&self->gossip [i], &self->gossip [i + 1], (self->n_gossip - i - 1) * sizeof (gossip_t));
            self->n_gossip--;
            break;
        }
    if (self->n_gossip == MAX_GOSSIP) {
        memmove (&self->gossip [0], &self->gossip [1], (MAX_GOSSIP - 1) * sizeof (gossip_t));
        self->n_gossip--;
    }
    gossip_t *g = &self->gossip [self->n_gossip++];
    memcpy (g->u.id, id, NINES_ID_BYTES);
    g->u.state = state;
    g->u.incarnation = incarnation;
    g->sends_left = 3 * log2n;
}

/*  ---- membership (SWIM + Lifeguard) ---- */

static void s_suspect_add (nines_engine_t *self, const member_t *m, uint64_t since);

/*  Apply a piggybacked membership update (PROTOCOL.md 7, SWIM §4.2).
    Incarnations never wrap and cannot be run up: an update more than
    NINES_INCARNATION_STEP above the incarnation we know, or a suspicion
    or death at UINT64_MAX (which no refutation could top), is ignored.
    Otherwise one message from any registered validator declaring another
    dead at the largest incarnation made every peer hold it dead for good:
    its refutation, incarnation + 1, wrapped to 0 (issue 11 item 4).  With
    the step bound, raising a member to the top takes 2^44 accepted
    updates; an honest member refutes once per suspicion. */
static void
s_apply_update (nines_engine_t *self, const nines_member_update_t *u, uint64_t now)
{
    bool accusation = u->state != NINES_MEMBER_ALIVE;
    if (accusation && u->incarnation == UINT64_MAX)
        return;
    if (s_is_me (self, u->id)) {
        /* Refute suspicion or death with a higher incarnation (SWIM §4.2);
           being suspected also raises our local health multiplier
           (Lifeguard §3.1). */
        if (accusation && u->incarnation >= self->incarnation
        &&  u->incarnation - self->incarnation <= NINES_INCARNATION_STEP) {
            self->incarnation = u->incarnation + 1;
            s_gossip_update (self, self->kp.pk, NINES_MEMBER_ALIVE, self->incarnation);
            if (self->lhm < self->cfg.lhm_max)
                self->lhm++;
        }
        return;
    }
    member_t *m = s_member (self, u->id);
    if (!m || (u->incarnation > m->incarnation && u->incarnation - m->incarnation > NINES_INCARNATION_STEP))
        return;
    bool take = false;
    switch (u->state) {
        case NINES_MEMBER_ALIVE:
            take = u->incarnation > m->incarnation;
            break;
        case NINES_MEMBER_SUSPECT:
            take = m->state != NINES_MEMBER_DEAD
                && (u->incarnation > m->incarnation
                    || (u->incarnation == m->incarnation && m->state == NINES_MEMBER_ALIVE));
            break;
        case NINES_MEMBER_DEAD:
            take = m->state != NINES_MEMBER_DEAD && u->incarnation >= m->incarnation;
            break;
    }
    if (!take)
        return;
    m->state = u->state;
    m->incarnation = u->incarnation;
    if (u->state == NINES_MEMBER_SUSPECT)
        s_suspect_add (self, m, now);
    if (u->state == NINES_MEMBER_ALIVE)
        m->last_ack_s = (uint32_t) (now / 1000);
    s_gossip_update (self, u->id, u->state, u->incarnation);
}

static void
s_suspect_add (nines_engine_t *self, const member_t *m, uint64_t since)
{
    if (self->n_suspects == self->cap_suspects) {
        size_t cap = self->cap_suspects ? 2 * self->cap_suspects : 16;
        suspect_t *grown = realloc (self->suspects, cap * sizeof *grown);
        if (!grown) {
            self->suspects_rescan = true;
            return;
        }
        self->suspects = grown;
        self->cap_suspects = cap;
    }
    suspect_t *sp = &self->suspects [self->n_suspects++];
    sp->index = (uint32_t) (m - self->members);
    sp->since = since;
}

static void
s_mark (nines_engine_t *self, member_t *m, uint8_t state, uint64_t now)
{
    if (m->state == state)
        return;
    m->state = state;
    if (state == NINES_MEMBER_SUSPECT)
        s_suspect_add (self, m, now);
    s_gossip_update (self, s_member_id (self, m), state, m->incarnation);
}

static void
s_ping (nines_engine_t *self, int type, const uint8_t to [NINES_ID_BYTES],
        const uint8_t target [NINES_ID_BYTES], uint64_t seq)
{
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u) + sizeof (nines_ping_t));
    msg->type = (uint8_t) type;
    msg->u.ping.seq = seq;
    memcpy (msg->u.ping.target, target, NINES_ID_BYTES);
    s_send (self, to, msg);
}

/*  A cleared ping slot marked used: a free one, or the oldest. */
static ping_t *
s_ping_take (nines_engine_t *self)
{
    int at = 0;
    for (int i = 0; i < MAX_PINGS; i++) {
        if (!self->pings [i].used) {
            at = i;
            break;
        }
        if (self->pings [i].sent < self->pings [at].sent)
            at = i;
    }
    ping_t *p = &self->pings [at];
    memset (p, 0, sizeof *p);
    p->used = true;
    self->pings_mask |= 1u << at;
    return p;
}

static void
s_ping_free (nines_engine_t *self, ping_t *p)
{
    p->used = false;
    self->pings_mask &= ~(1u << (p - self->pings));
}

/*  Visit the pings in use (a bit per slot: scanning all slots cost a
    few cache lines per wakeup at 10^4 simulated nodes). */
#define FOR_PINGS(self, i) \
    for (uint32_t _m = (self)->pings_mask, i; _m && ((i) = (uint32_t) __builtin_ctz (_m), 1); _m &= _m - 1)

/*  Own message loss for the vote's confidence (s_attempts_needed): an
    EWMA (weight 1/16) of direct pings that missed their ack timeout. */
static void
s_msg_loss_record (nines_engine_t *self, bool lost)
{
    int64_t x = lost ? 1000000 : 0;
    self->msg_loss_ppm = (uint32_t) ((int64_t) self->msg_loss_ppm + (x - (int64_t) self->msg_loss_ppm) / 16);
}

static void
s_swim_tick (nines_engine_t *self, uint64_t now)
{
    uint64_t period = self->cfg.swim_period_ms * self->lhm;
    uint64_t ack_timeout = self->cfg.swim_ack_timeout_ms * self->lhm;
    /* Outstanding direct probes: indirect after the ack timeout, suspect
       after the period. */
    FOR_PINGS (self, i) {
        ping_t *p = &self->pings [i];
        if (p->relay) {
            if (now >= p->sent + period)
                s_ping_free (self, p);
            continue;
        }
        member_t *m = s_member (self, p->target);
        if (!m) {
            s_ping_free (self, p);
            continue;
        }
        if (!p->indirect && now >= p->sent + ack_timeout) {
            p->indirect = true;
            s_msg_loss_record (self, true);
            if (self->lhm < self->cfg.lhm_max)
                self->lhm++;            /* missed ack: Lifeguard LHM + 1 */
            for (uint32_t k = 0; k < self->cfg.swim_k && self->n_members > 1; k++) {
                member_t *via = s_member_at (self, s_rand (self, self->n_members));
                if (via != m && via->state == NINES_MEMBER_ALIVE)
                    s_ping (self, NINES_MSG_PING_REQ, s_member_id (self, via), p->target, p->seq);
            }
        }
        if (now >= p->sent + period) {
            s_ping_free (self, p);
            if (m->state == NINES_MEMBER_ALIVE)
                s_mark (self, m, NINES_MEMBER_SUSPECT, now);
        }
    }
    /* Suspects that did not refute in time are dead.  Only the list of
       members that turned suspect is visited (a scan of all N members on
       every tick dominated the simulator at 10^4 nodes). */
    uint64_t suspect_timeout = self->cfg.swim_suspect_periods * self->cfg.swim_period_ms;
    if (self->suspects_rescan) {
        self->suspects_rescan = false;
        self->n_suspects = 0;
        for (size_t i = 0; i < self->n_slots; i++)
            if (self->members [i].state == NINES_MEMBER_SUSPECT)
                s_suspect_add (self, &self->members [i], now);
    }
    size_t kept = 0;
    for (size_t k = 0; k < self->n_suspects; k++) {
        suspect_t sp = self->suspects [k];
        member_t *m = sp.index < self->n_slots ? &self->members [sp.index] : NULL;
        if (!m || m->state != NINES_MEMBER_SUSPECT)
            continue;
        bool dup = false;
        for (size_t j = 0; j < kept && !dup; j++)
            dup = self->suspects [j].index == sp.index;
        if (dup)
            continue;
        if (now >= sp.since + suspect_timeout)
            s_mark (self, m, NINES_MEMBER_DEAD, now);
        else
            self->suspects [kept++] = sp;
    }
    self->n_suspects = kept;
    /* One new probe per protocol period, round-robin over a random start. */
    if (now >= self->next_swim && self->n_members > 0) {
        self->next_swim = now + period;
        for (size_t tries = 0; tries < self->n_members; tries++) {
            member_t *m = s_member_at (self, self->swim_cursor++ % self->n_members);
            if (m->state == NINES_MEMBER_DEAD && s_rand (self, 4) != 0)
                continue;   /* dead members are re-probed now and then to see them return */
            ping_t *p = s_ping_take (self);
            p->seq = ++self->ping_seq;
            const uint8_t *id = s_member_id (self, m);
            memcpy (p->target, id, NINES_ID_BYTES);
            p->sent = now;
            s_ping (self, NINES_MSG_PING, id, id, p->seq);
            break;
        }
    }
}

static void
s_on_ack (nines_engine_t *self, const nines_peer_msg_t *msg, uint64_t now)
{
    FOR_PINGS (self, i) {
        ping_t *p = &self->pings [i];
        if (p->seq != msg->u.ping.seq || memcmp (p->target, msg->u.ping.target, NINES_ID_BYTES) != 0)
            continue;
        s_ping_free (self, p);
        if (p->relay) {
            s_ping (self, NINES_MSG_ACK, p->requester, p->target, p->requester_seq);
            return;
        }
        member_t *m = s_member (self, p->target);
        if (m)
            m->last_ack_s = (uint32_t) (now / 1000);
        if (!p->indirect)
            s_msg_loss_record (self, false);
        if (self->lhm > 1)
            self->lhm--;                /* successful probe: LHM - 1 */
        return;
    }
}

/*  ---- self-health ---- */

/*  Degraded when most of the distinct pods recently probed failed at
    their latest heartbeat, and at least health_min_pods of them: one pod
    down is that pod's problem, many at once is ours (Gatus's connectivity
    check, Storj's batch discard).  Pods, not heartbeats: a pod reported
    down is retried and probed every down_probe_ms, so counting heartbeats
    would let a few outages pass for our own.  The window holds only pods
    not reported down (s_health_record, s_health_forget). */
static void
s_health_verdict (nines_engine_t *self)
{
    size_t w = self->cfg.health_window;
    uint64_t keys [NINES_HEALTH_MAX];
    size_t pods = 0, failing = 0;
    for (size_t k = 0, i = self->health_at; k < self->health_n; k++) {
        i = i ? i - 1 : w - 1;                              /* newest first */
        keys [k] = self->health_keys [i];
        bool seen = false;
        for (size_t l = 0; l < k && !seen; l++)
            seen = keys [l] == keys [k];
        if (seen)
            continue;                   /* an older outcome of a pod counted already */
        pods++;
        failing += self->health_fail [i];
    }
    self->stats.degraded = failing >= self->cfg.health_min_pods
        && failing * 1000000 >= (uint64_t) self->cfg.health_fail_ppm * pods;
}

static void
s_health_record (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], bool failed)
{
    size_t w = self->cfg.health_window;
    memcpy (&self->health_keys [self->health_at], pod, 8);
    self->health_fail [self->health_at] = failed;
    self->health_at = (self->health_at + 1) % w;
    if (self->health_n < w)
        self->health_n++;
    s_health_verdict (self);
}

/*  A quorum reported pod down: its outage is the pod's, not ours, so the
    heartbeats recorded before the report leave the window (later ones
    are never recorded while it is down).  Otherwise each reported outage
    would linger as a failure until health_window newer heartbeats pushed
    it out, and the next independent outage would make us doubt our own
    network (issue 11: the third of 4 pods reported 15-22 s late). */
static void
s_health_forget (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    size_t w = self->cfg.health_window, kept = 0;
    uint64_t key;
    memcpy (&key, pod, 8);
    for (size_t k = 0, i = (self->health_at + w - self->health_n) % w; k < self->health_n; k++, i = (i + 1) % w)
        if (self->health_keys [i] != key) {                 /* oldest first, compacted */
            self->health_keys [kept] = self->health_keys [i];
            self->health_fail [kept] = self->health_fail [i];
            kept++;
        }
    if (kept == self->health_n)
        return;
    self->health_n = kept;
    self->health_at = kept % w;
    s_health_verdict (self);
}

/*  ---- doppelganger protection ---- */

/*  May we sign a vote or open a round at now?  Not while listening after
    our start, and never again once another instance with our key showed
    (honest engines only). */
static bool
s_may_sign (nines_engine_t *self, uint64_t now)
{
    if (self->behaviour != NINES_BEHAVE_HONEST)
        return true;                /* a simulated adversary does not hold back */
    if (self->stats.listening && now >= self->listen_until)
        self->stats.listening = false;
    return !self->stats.listening && !self->stats.doppelganger;
}

/*  Remember a vote we signed (ring of MAX_OWN_VOTES). */
static void
s_own_vote (nines_engine_t *self, const nines_vote_t *vote)
{
    memcpy (&self->own_sig [self->own_at], vote->sig, 8);
    self->own_t [self->own_at] = vote->body.t_ms;
    self->own_at = (self->own_at + 1) % MAX_OWN_VOTES;
    if (self->own_n < MAX_OWN_VOTES)
        self->own_n++;
}

/*  A vote whose signature verified reached us from a peer: one by our key,
    observed since our start (not ours from before a restart) and not among
    those we signed, is another instance's.  A vote older than everything
    the full ring remembers proves nothing. */
static void
s_doppelganger_check (nines_engine_t *self, const nines_vote_t *vote)
{
    if (self->stats.doppelganger || !s_is_me (self, vote->body.validator)
    ||  !self->started_at || vote->body.t_ms < self->started_at)
        return;
    uint64_t sig, oldest = UINT64_MAX;
    memcpy (&sig, vote->sig, 8);
    for (size_t i = 0; i < self->own_n; i++) {
        if (self->own_sig [i] == sig)
            return;
        if (self->own_t [i] < oldest)
            oldest = self->own_t [i];
    }
    if (self->own_n == MAX_OWN_VOTES && vote->body.t_ms < oldest)
        return;
    self->stats.doppelganger = true;
}

/*  ---- probes ---- */

static int
s_cmp_u32 (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

/*  Ask the driver for a heartbeat to pod, sent now (at = 0) or at time at
    (probe_ahead).  The probe id carries the slot index in its low 16 bits,
    so the answer finds its slot at once. */
static inflight_t *
s_probe (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], int kind, int duty, uint64_t at)
{
    int i = s_free_slot ((void **) &self->inflight, &self->cap_inflight, MAX_INFLIGHT, sizeof (inflight_t));
    if (i < 0)
        return NULL;
    nines_action_t *a = s_push (self, NINES_ACT_PROBE);
    if (!a)
        return NULL;
    inflight_t *slot = &self->inflight [i];
    HI_BUMP (self->inflight_hi, i);
    slot->used = true;
    slot->id = (++self->next_probe_id << 16) | (uint64_t) i;
    memcpy (slot->pod, pod, NINES_ID_BYTES);
    slot->kind = kind;
    slot->duty = duty;
    slot->version = self->reg ? self->reg->version : 0;
    memcpy (a->pod, pod, NINES_ID_BYTES);
    a->probe_id = slot->id;
    a->at = at;
    /* Lifeguard (Dadgar et al. 2018, section 3): a node whose own
       messages come late waits longer before it calls a heartbeat lost,
       from 1x probe_timeout at LHM 1 to 2x at the cap. */
    uint64_t t = self->reg ? self->reg->params.probe_timeout_ms : 0;
    uint32_t cap = self->cfg.lhm_max > 1 ? self->cfg.lhm_max : 2;
    a->timeout_ms = t + t * (self->lhm > 1 ? self->lhm - 1 : 0) / (cap - 1);
    self->stats.probes++;
    return slot;
}

static void s_send_held_report (nines_engine_t *self, const uint8_t *data, size_t len, const uint8_t *to,
                                const uint8_t pod [NINES_ID_BYTES], uint64_t epoch, uint64_t skip);
static void s_seen_forget (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES]);

/*  Sortition for the epoch: which pods we probe and when (DESIGN.md §6,
    validator-driven draws of committee.h, so the cost is the r*M/N pods
    drawn, not all M pods). */
static void
s_start_epoch (nines_engine_t *self, uint64_t epoch, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    uint64_t prev = self->epoch_started ? self->epoch : UINT64_MAX;
    self->epoch = epoch;
    self->stats.epoch = epoch;
    self->epoch_started = true;
    uint8_t seed [NINES_HASH_BYTES];
    nines_epoch_seed (seed, p->genesis_seed, epoch);
    uint64_t start = p->genesis_ms + epoch * p->epoch_ms;
    uint32_t n = (uint32_t) self->reg->n_eligible;
    uint32_t m = (uint32_t) self->reg->n_pods;
    for (size_t i = 0; i < self->n_pods; i++)
        self->pods [i].next_probe = 0;
    bool all = n > 0 && p->r >= n;
    uint32_t draws = all ? m : nines_sortition_draws (seed, self->kp.pk, p->r, n, m);
    if (self->cfg.probe_ahead) {
        /* Every heartbeat of the epoch handed over now, each with its
           instant; a pod drawn twice is probed once. */
        uint32_t *drawn = malloc ((draws ? draws : 1) * sizeof *drawn);
        for (uint32_t j = 0; drawn && j < draws; j++)
            drawn [j] = all ? j : nines_sortition_pod (seed, self->kp.pk, j, m);
        if (drawn)
            qsort (drawn, draws, sizeof *drawn, s_cmp_u32);
        for (uint32_t j = 0; drawn && j < draws; j++) {
            if (j > 0 && drawn [j] == drawn [j - 1])
                continue;
            uint64_t at = start + s_rand (self, p->epoch_ms);
            s_probe (self, self->reg->pods [drawn [j]].pod, PROBE_SCHEDULED, -1, at < now ? now : at);
        }
        free (drawn);
        draws = 0;
    }
    for (uint32_t j = 0; j < draws; j++) {
        uint32_t at_pod = all ? j : nines_sortition_pod (seed, self->kp.pk, j, m);
        pod_t *pod = s_pod_add (self, self->reg->pods [at_pod].pod, true);
        if (!pod || pod->next_probe)
            continue;
        uint64_t at = start + s_rand (self, p->epoch_ms);
        pod->next_probe = at < now ? now : at;
        POD_DUE (self, pod->next_probe);
    }
    /* A pod reported down is probed more often by its committee of this
       epoch only: members of past committees stop, or every validator
       that ever sat on it would probe, and all of them would open an UP
       round at once when it recovers. */
    bool scoped = self->cfg.report_scope == NINES_SCOPE_COMMITTEE;
    for (size_t i = 0; i < self->n_pods; i++) {
        pod_t *pod = &self->pods [i];
        if (!pod->down)
            continue;
        bool member = nines_registry_in_committee (self->reg, pod->pod, epoch, self->kp.pk);
        /* Committee scope: the last committee hands the open DOWN report
           to the new one, and a node off the new committee forgets the
           incident (the UP report will not be sent to it). */
        if (scoped && pod->down_report && prev != UINT64_MAX && prev != epoch
        &&  nines_registry_in_committee (self->reg, pod->pod, prev, self->kp.pk))
            s_send_held_report (self, pod->down_report, pod->down_len, NULL, pod->pod, epoch, prev);
        if (scoped && !member) {
            s_seen_forget (self, pod->down_id);
            pod->down = false;
            free (pod->down_report);
            pod->down_report = NULL;
            pod->down_len = 0;
            pod->next_down_probe = 0;
        }
        else
        if (!member)
            pod->next_down_probe = 0;
        else
        if (!pod->next_down_probe) {
            pod->next_down_probe = now + s_rand (self, p->down_probe_ms ? p->down_probe_ms : 1);
            POD_DUE (self, pod->next_down_probe);
        }
    }
    s_pods_compact (self, now);
}

/*  ---- rounds ---- */

/*  Own heartbeat loss, an EWMA (weight 1/32) over the scheduled
    heartbeats: they go to pods drawn at random, so their failures measure
    our own links rather than a suspect pod (Lifeguard's local health,
    Dadgar et al. 2018, section 3, applied to heartbeats). */
static void
s_loss_record (nines_engine_t *self, bool failed)
{
    int64_t x = failed ? 1000000 : 0;
    self->loss_ppm = (uint32_t) ((int64_t) self->loss_ppm + (x - (int64_t) self->loss_ppm) / 32);
    self->stats.loss_ppm = self->loss_ppm;
}

/*  Own loss q for the vote's confidence: the heartbeat estimate, unless
    our pings to peers fare better.  Many pods failing while our peers
    answer is an outage of those pods (the correlated rule's business),
    not our network; a lossy link loses both. */
static double
s_own_loss (const nines_engine_t *self)
{
    uint32_t q = self->loss_ppm < self->msg_loss_ppm ? self->loss_ppm : self->msg_loss_ppm;
    return q / 1e6;
}

/*  Chance that k or more of n heartbeats are lost at loss q, bounded by
    C(n, k) q^k (PROTOCOL.md 8.1). */
static double
s_false_down (double q, unsigned n, unsigned k)
{
    double c = 1;
    for (unsigned i = 0; i < k; i++)
        c = c * (n - i) / (i + 1);
    return c * pow (q, k);
}

/*  Failed heartbeats a `down` vote needs from us (PROTOCOL.md 8.1): at
    least vote_attempts, and enough k that, with one spare attempt, our
    own loss q gives C(k+1, k) q^k = (k + 1) q^k <= vote_false; k = 0 when
    no k below NINES_VOTE_ATTEMPTS_MAX does (we still measure: an `ok`
    is an `up` vote, but we will not vote down). */
static uint8_t
s_attempts_needed (nines_engine_t *self)
{
    const nines_params_t *p = &self->reg->params;
    uint32_t k = p->vote_attempts ? p->vote_attempts : 1;
    if (k > NINES_VOTE_ATTEMPTS_MAX - 1)
        k = NINES_VOTE_ATTEMPTS_MAX - 1;
    double q = s_own_loss (self), bound = p->vote_false_ppm / 1e6;
    while (k < NINES_VOTE_ATTEMPTS_MAX - 1 && s_false_down (q, k + 1, k) > bound)
        k++;
    return s_false_down (q, k + 1, k) > bound ? 0 : (uint8_t) k;
}

/*  Take a duty: `planned` heartbeats to pod spread over vote_window after
    a random delay in [0, vote_delay) (stratified: attempt j at a random
    instant of the j-th slice of the window), then vote in the round.
    false when the duty table is full. */
static bool
s_duty_add (nines_engine_t *self, const uint8_t round_id [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
            uint64_t epoch, const uint8_t initiator [NINES_ID_BYTES], bool want_down, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    int d = s_free_slot ((void **) &self->duties, &self->cap_duties, MAX_DUTIES, sizeof (duty_t));
    if (d < 0)
        return false;
    duty_t *duty = &self->duties [d];
    HI_BUMP (self->duties_hi, d);
    memset (duty, 0, offsetof (duty_t, vote));
    duty->used = true;
    duty->serial = ++self->duty_serial;
    memcpy (duty->round_id, round_id, NINES_HASH_BYTES);
    memcpy (duty->pod, pod, NINES_ID_BYTES);
    duty->epoch = epoch;
    memcpy (duty->initiator, initiator, NINES_ID_BYTES);
    uint64_t start = now + s_rand (self, p->vote_delay_ms ? p->vote_delay_ms : 1);
    duty->want_down = want_down;
    /* Another round on the pod is being measured (two probers saw the
       same outage): start after its last attempt, so that its report,
       when it forms, reaches us first and is handed over instead. */
    for (int k = 0; k < self->duties_hi; k++) {
        const duty_t *o = &self->duties [k];
        if (k != d && o->used && o->planned && memcmp (o->pod, pod, NINES_ID_BYTES) == 0
        &&  o->at [o->planned - 1] > start)
            start = o->at [o->planned - 1];
    }
    duty->needed = s_attempts_needed (self);
    duty->planned = duty->needed ? duty->needed + 1 : NINES_VOTE_ATTEMPTS_MAX;
    /* The window fits the round whatever the registry says: at most a
       quarter of round_timeout. */
    uint64_t window = p->vote_window_ms < p->round_timeout_ms / 4 ? p->vote_window_ms : p->round_timeout_ms / 4;
    uint64_t slice = window / duty->planned;
    for (uint8_t j = 0; j < duty->planned; j++)
        duty->at [j] = start + j * slice + s_rand (self, slice ? slice : 1);
    duty->expires = duty->at [duty->planned - 1] + 2 * p->probe_timeout_ms + p->round_timeout_ms;
    return true;
}

/*  Is the outage of pod due for re-confirmation (PROTOCOL.md 8.2): the
    DOWN report held is at least down_confirm_ms old (an initiator), or
    3/4 of it (a member agreeing to vote: views of the latest report and
    clocks differ a little; a prober off the committee that missed the
    report and opens a DOWN round of its own gets a vote no sooner). */
static bool
s_confirm_due (nines_engine_t *self, const pod_t *pod, uint64_t now, bool member)
{
    uint64_t every = self->reg->params.down_confirm_ms;
    uint64_t age = member ? every - every / 4 : every;
    return every && pod->down && pod->down_report && now >= pod->confirmed + age;
}

/*  Send the duty's attempts that are due. */
static void
s_duty_tick (nines_engine_t *self, int d, uint64_t now)
{
    duty_t *duty = &self->duties [d];
    if (now >= duty->expires) {
        duty->used = false;
        return;
    }
    while (!duty->voted && duty->sent < duty->planned && now >= duty->at [duty->sent]) {
        pod_t *pod = s_pod_get (self, duty->pod);
        if (!pod) {
            duty->used = false;
            return;
        }
        if (duty->sent == 0 && duty->want_down && pod->down && pod->down_report
        &&  !s_confirm_due (self, pod, now, true)) {
            /* The outage was reported meanwhile and no re-confirmation is
               due: hand the report over (the pull rule of PROTOCOL.md 8.2)
               instead of measuring. */
            if (!s_is_me (self, duty->initiator))
                s_send_held_report (self, pod->down_report, pod->down_len, duty->initiator, NULL, 0, 0);
            duty->used = false;
            return;
        }
        inflight_t *slot = s_probe (self, pod->pod, PROBE_DUTY, d, 0);
        if (slot) {
            slot->duty_serial = duty->serial;
            slot->attempt = duty->sent;
        }
        duty->at [duty->sent++] = now;      /* the instant it actually went out */
    }
}

/*  Ask the round's committee to measure and vote (CONFIRM_REQ): all of
    it when the round opens (first), later only the members whose vote
    has not arrived, since a request or a vote may have been lost. */
static void
s_confirm_send (nines_engine_t *self, round_t *r, bool first)
{
    nines_peer_msg_t *msg = self->scratch;
    for (size_t i = 0; i < r->n_members; i++) {
        bool voted = false;
        for (size_t k = 0; k < r->n_votes && !voted; k++)
            voted = memcmp (r->votes [k].body.validator, r->members [i], NINES_ID_BYTES) == 0;
        if (voted)
            continue;
        if (s_is_me (self, r->members [i])) {
            /* We sit on our own committee: take the duty locally. */
            if (first)
                s_duty_add (self, r->round_id, r->pod, r->epoch, self->kp.pk,
                            r->want == NINES_REPORT_DOWN, r->opened);
            continue;
        }
        memset (msg, 0, offsetof (nines_peer_msg_t, u) + sizeof (nines_confirm_req_t));
        msg->type = NINES_MSG_CONFIRM_REQ;
        memcpy (msg->u.confirm.round_id, r->round_id, NINES_HASH_BYTES);
        memcpy (msg->u.confirm.pod, r->pod, NINES_ID_BYTES);
        msg->u.confirm.epoch = r->epoch;
        memcpy (msg->u.confirm.initiator, self->kp.pk, NINES_ID_BYTES);
        msg->u.confirm.t_ms = r->opened;
        msg->u.confirm.outcome = r->outcome;
        s_send (self, r->members [i], msg);
        if (!first)
            self->stats.confirms_resent++;
    }
}

static void
s_open_round (nines_engine_t *self, pod_t *pod, uint8_t want, int outcome, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    int at = s_free_slot ((void **) &self->rounds, &self->cap_rounds, MAX_ROUNDS, sizeof (round_t));
    if (at < 0)
        return;
    round_t *r = &self->rounds [at];
    size_t c = nines_registry_committee_size (self->reg);
    if (r->cap_votes < c) {
        nines_vote_t *grown = realloc (r->votes, c * sizeof *grown);
        if (!grown)
            return;
        r->votes = grown;
        r->cap_votes = c;
    }
    HI_BUMP (self->rounds_hi, at);
    nines_vote_t *votes = r->votes;
    size_t cap_votes = r->cap_votes;
    memset (r, 0, sizeof *r);
    r->votes = votes;
    r->cap_votes = cap_votes;
    r->used = true;
    r->want = want;
    r->epoch = self->epoch;
    memcpy (r->pod, pod->pod, NINES_ID_BYTES);
    uint8_t nonce [16];
    for (int i = 0; i < 2; i++) {
        uint64_t v = nines_rng_u64 (&self->rng);
        memcpy (nonce + 8 * i, &v, 8);
    }
    nines_round_id (r->round_id, pod->pod, r->epoch, self->kp.pk, nonce);
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    r->n_members = nines_registry_committee (self->reg, pod->pod, r->epoch, c, members, &r->total);
    for (size_t i = 0; i < r->n_members; i++) {
        memcpy (r->members [i], members [i]->id, NINES_ID_BYTES);
        r->weights [i] = nines_validator_weight (members [i]);
    }
    r->deadline = now + p->round_timeout_ms;
    r->opened = now;
    r->outcome = (uint8_t) outcome;
    r->next_resend = now + p->round_timeout_ms / 5;
    pod->busy_until = r->deadline;
    pod->busy_confirm = want == NINES_REPORT_DOWN && pod->down;
    self->stats.rounds_opened++;
    s_confirm_send (self, r, true);
}

/*  How a report reached us: formed here, gossiped, or restored from disk. */
typedef enum { FROM_OWN, FROM_PEER, FROM_DISK } origin_t;
static void s_accept_report (nines_engine_t *self, const nines_report_t *report, origin_t origin, uint64_t now);

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/*  Form the report from the agreeing votes (DESIGN.md §7.5). */
static void
s_form_report (nines_engine_t *self, round_t *r, uint8_t verdict, uint64_t now)
{
    nines_report_t *report = calloc (1, sizeof *report);
    if (!report)
        return;
    report->kind = r->want;
    memcpy (report->pod, r->pod, NINES_ID_BYTES);
    report->epoch = r->epoch;
    memcpy (report->round_id, r->round_id, NINES_HASH_BYTES);
    uint64_t times [NINES_REPORT_MAX_VOTES];
    for (size_t i = 0; i < r->n_votes; i++)
        if (r->votes [i].body.verdict == verdict) {
            times [report->n_votes] = r->votes [i].body.t_ms;
            report->votes [report->n_votes++] = r->votes [i];
        }
    qsort (times, report->n_votes, sizeof times [0], s_cmp_u64);
    report->t_ms = times [report->n_votes / 2];
    if (r->want == NINES_REPORT_DOWN)
        self->stats.rounds_down++;
    else
        self->stats.rounds_up++;
    /* The round lingers, closed, until its deadline: a member that signs
       a conflicting vote after the quorum formed is still caught. */
    r->done = true;
    pod_t *pod = s_pod (self, r->pod);
    if (pod)
        pod->busy_until = 0;
    s_accept_report (self, report, FROM_OWN, now);
    free (report);
}

static int
s_member_index (const round_t *r, const uint8_t id [NINES_ID_BYTES])
{
    for (size_t i = 0; i < r->n_members; i++)
        if (memcmp (r->members [i], id, NINES_ID_BYTES) == 0)
            return (int) i;
    return -1;
}

static void
s_misbehaviour (nines_engine_t *self, const nines_vote_t *a, const nines_vote_t *b)
{
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    msg->type = NINES_MSG_MISBEHAVIOUR;
    memcpy (msg->from, self->kp.pk, NINES_ID_BYTES);
    msg->u.misbehaviour.a = *a;
    msg->u.misbehaviour.b = *b;
    size_t len = 0;
    if (nines_peer_msg_encode (msg, self->frame, NINES_PEER_MSG_MAX, &len))
        return;
    nines_action_t *act = s_push (self, NINES_ACT_MISBEHAVIOUR);
    if (!act)
        return;
    memcpy (act->peer, a->body.validator, NINES_ID_BYTES);
    memcpy (act->pod, a->body.pod, NINES_ID_BYTES);
    act->data = s_dup (self->frame, len);
    act->len = act->data ? len : 0;
    self->stats.misbehaviours++;
}

static int
s_on_vote (nines_engine_t *self, const nines_vote_t *vote, uint64_t now)
{
    round_t *r = NULL;
    for (int i = 0; i < self->rounds_hi && !r; i++)
        if (self->rounds [i].used
        &&  memcmp (self->rounds [i].round_id, vote->body.round_id, NINES_HASH_BYTES) == 0)
            r = &self->rounds [i];
    if (!r)
        return NINES_ENOTFOUND;
    int m = s_member_index (r, vote->body.validator);
    if (m < 0)
        return NINES_ENOTCOMMITTEE;
    if (memcmp (vote->body.pod, r->pod, NINES_ID_BYTES) || vote->body.epoch != r->epoch)
        return NINES_EMALFORMED;
    if (nines_sigcache_vote_verify (self->cfg.sigcache, vote))
        return NINES_EBADSIG;
    for (size_t i = 0; i < r->n_votes; i++)
        if (memcmp (r->votes [i].body.validator, vote->body.validator, NINES_ID_BYTES) == 0) {
            if (r->votes [i].body.verdict != vote->body.verdict)
                s_misbehaviour (self, &r->votes [i], vote);
            return NINES_EDUPSIGNER;
        }
    if (r->n_votes == r->cap_votes)
        return NINES_EFULL;
    r->votes [r->n_votes++] = *vote;
    if (r->done)
        return NINES_OK;            /* late: kept only to catch equivocation */
    r->weight [vote->body.verdict] += r->weights [m];
    uint8_t verdict = r->want == NINES_REPORT_DOWN ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;
    if (nines_quorum_reached (r->weight [verdict], r->total, self->reg->params.theta_ppm))
        s_form_report (self, r, verdict, now);
    return NINES_OK;
}

/*  Deliver a signed vote to the round's initiator. */
static void
s_vote_deliver (nines_engine_t *self, const uint8_t initiator [NINES_ID_BYTES], const nines_vote_t *vote,
                uint64_t now)
{
    if (s_is_me (self, initiator))
        s_on_vote (self, vote, now);
    else {
        nines_peer_msg_t *msg = self->scratch;
        memset (msg, 0, offsetof (nines_peer_msg_t, u));
        msg->type = NINES_MSG_VOTE;
        msg->u.vote = *vote;
        s_send (self, initiator, msg);
    }
}

/*  Sign and deliver our vote for a duty: `up` on an `ok` heartbeat (with
    the facade's signed answer as proof), `down` when every attempt
    failed and our own loss q makes q^failed at most vote_false, abstain
    otherwise, or when self-health or Lifeguard's multiplier at its cap
    say our own network is bad (PROTOCOL.md 8.1).  The answered attempts
    go into the vote, oldest first. */
static void
s_vote (nines_engine_t *self, duty_t *duty, int outcome, const nines_hb_resp_t *resp,
        const uint8_t *nonce, uint64_t req_t_ms, uint64_t now)
{
    duty->voted = true;
    if (self->behaviour == NINES_BEHAVE_SILENT || !s_may_sign (self, now))
        return;
    nines_vote_t *vote = &duty->vote;
    memset (vote, 0, sizeof *vote);
    memcpy (vote->body.round_id, duty->round_id, NINES_HASH_BYTES);
    memcpy (vote->body.pod, duty->pod, NINES_ID_BYTES);
    vote->body.epoch = duty->epoch;
    memcpy (vote->body.validator, self->kp.pk, NINES_ID_BYTES);
    vote->body.outcome = (uint8_t) outcome;
    vote->body.t_ms = now;
    uint8_t failed = 0;
    for (uint8_t j = 0; j < duty->sent; j++)
        if (duty->answered [j]) {
            nines_attempt_t *at = &vote->body.attempts [vote->body.n_attempts++];
            at->age_ms = (uint32_t) (now - duty->at [j] > UINT32_MAX ? UINT32_MAX : now - duty->at [j]);
            at->outcome = duty->outcome [j];
            failed += duty->outcome [j] != NINES_OUTCOME_OK;
        }
    /* needed was chosen from our loss when the duty began; a Lifeguard
       multiplier at its cap since then (our own pings unanswered) still
       takes the confidence away. */
    bool confident = duty->needed && failed >= duty->needed && self->lhm < self->cfg.lhm_max;
    if (self->stats.degraded && self->behaviour == NINES_BEHAVE_HONEST)
        vote->body.verdict = NINES_VERDICT_ABSTAIN;
    else
    if (outcome == NINES_OUTCOME_OK)
        vote->body.verdict = NINES_VERDICT_UP;
    else
    if (!confident && self->behaviour == NINES_BEHAVE_HONEST)
        vote->body.verdict = NINES_VERDICT_ABSTAIN;
    else
        vote->body.verdict = NINES_VERDICT_DOWN;
    if (self->behaviour == NINES_BEHAVE_ALWAYS_DOWN)
        vote->body.verdict = NINES_VERDICT_DOWN;
    if (self->behaviour == NINES_BEHAVE_ALWAYS_UP)
        vote->body.verdict = NINES_VERDICT_UP;
    if (vote->body.verdict == NINES_VERDICT_DOWN)
        for (uint8_t j = 0; j < vote->body.n_attempts; j++)
            if (vote->body.attempts [j].outcome == NINES_OUTCOME_OK)
                vote->body.attempts [j].outcome = NINES_OUTCOME_TIMEOUT;     /* a liar's claim */
    if (vote->body.verdict == NINES_VERDICT_UP && resp && nonce && outcome == NINES_OUTCOME_OK) {
        vote->body.has_proof = true;
        memcpy (vote->body.proof_nonce, nonce, NINES_NONCE_BYTES);
        vote->body.proof_t_ms = req_t_ms;
        vote->body.proof = *resp;
    }
    int rounds = self->behaviour == NINES_BEHAVE_EQUIVOCATE ? 2 : 1;
    for (int k = 0; k < rounds; k++) {
        if (k == 1) {
            /* The second, conflicting vote; the first stays in the duty. */
            nines_vote_t other = *vote;
            other.body.verdict = vote->body.verdict == NINES_VERDICT_UP ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;
            other.body.has_proof = false;
            for (uint8_t j = 0; j < other.body.n_attempts; j++)
                other.body.attempts [j].outcome = other.body.verdict == NINES_VERDICT_DOWN
                                                ? NINES_OUTCOME_TIMEOUT : NINES_OUTCOME_OK;
            if (nines_vote_sign (&other, &self->kp))
                return;
            self->stats.votes_sent++;
            s_vote_deliver (self, duty->initiator, &other, now);
            continue;
        }
        if (nines_vote_sign (vote, &self->kp)) {
            duty->voted = false;
            return;
        }
        s_own_vote (self, vote);
        self->stats.votes_sent++;
        self->stats.votes_down += vote->body.verdict == NINES_VERDICT_DOWN;
        self->stats.votes_abstain += vote->body.verdict == NINES_VERDICT_ABSTAIN;
        s_vote_deliver (self, duty->initiator, vote, now);
    }
}

/*  ---- reports, incidents and evidence ---- */

/*  Check a report on its own, as the ledger will (DESIGN.md §8): every
    signature, committee membership for its pod and epoch, no duplicate
    signer, agreeing weight at least θ of the committee's weight. */
static int
s_verify_report (nines_engine_t *self, const nines_report_t *report)
{
    const nines_params_t *p = &self->reg->params;
    if (!nines_registry_pod (self->reg, report->pod))
        return NINES_EUNKNOWN;
    size_t c = nines_registry_committee_size (self->reg);
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    uint64_t total = 0, agree = 0;
    size_t n = nines_registry_committee (self->reg, report->pod, report->epoch, c, members, &total);
    uint8_t want = report->kind == NINES_REPORT_DOWN ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;
    for (size_t i = 0; i < report->n_votes; i++) {
        const nines_vote_t *v = &report->votes [i];
        if (memcmp (v->body.pod, report->pod, NINES_ID_BYTES) || v->body.epoch != report->epoch
        ||  memcmp (v->body.round_id, report->round_id, NINES_HASH_BYTES) || v->body.verdict != want)
            return NINES_EMALFORMED;
        const nines_validator_info_t *who = NULL;
        for (size_t j = 0; j < n && !who; j++)
            if (memcmp (members [j]->id, v->body.validator, NINES_ID_BYTES) == 0)
                who = members [j];
        if (!who)
            return NINES_ENOTCOMMITTEE;
        for (size_t j = 0; j < i; j++)
            if (memcmp (report->votes [j].body.validator, v->body.validator, NINES_ID_BYTES) == 0)
                return NINES_EDUPSIGNER;
        if (nines_sigcache_vote_verify (self->cfg.sigcache, v))
            return NINES_EBADSIG;
        agree += nines_validator_weight (who);
    }
    return nines_quorum_reached (agree, total, p->theta_ppm) ? NINES_OK : NINES_EQUORUM;
}

static void
s_outbox_add (nines_engine_t *self, const nines_report_t *down, const nines_report_t *up,
              bool own, uint64_t now)
{
    nines_evidence_t *ev = calloc (1, sizeof *ev);
    if (!ev)
        return;
    memcpy (ev->pod, down->pod, NINES_ID_BYTES);
    ev->down = *down;
    if (up) {
        ev->has_up = true;
        ev->up = *up;
    }
    uint8_t id [NINES_HASH_BYTES];
    nines_evidence_id (ev, id);
    for (size_t i = 0; i < self->n_outbox; i++)
        if (memcmp (self->outbox [i].id, id, NINES_HASH_BYTES) == 0) {
            free (ev);
            return;
        }
    if (self->n_outbox == self->cap_outbox) {
        size_t cap = self->cap_outbox ? 2 * self->cap_outbox : 8;
        outbox_t *grown = realloc (self->outbox, cap * sizeof *grown);
        if (!grown) {
            free (ev);
            return;
        }
        self->outbox = grown;
        self->cap_outbox = cap;
    }
    outbox_t *o = &self->outbox [self->n_outbox++];
    o->ev = ev;
    memcpy (o->id, id, NINES_HASH_BYTES);
    o->backoff = self->cfg.submit_backoff_ms;
    /* The report's former submits at once; everyone else after a random
       back-off, so the ledger still hears of it if the former dies. */
    o->next_at = own ? now : now + self->cfg.submit_backoff_ms + s_rand (self, 4 * self->cfg.submit_backoff_ms);
}

/*  Report ids seen: a ring of max_seen ids with a linear-probing hash
    index over it (a linear scan per gossiped copy cost 10^3 compares at
    every one of 10^4 simulated nodes). */
static size_t
s_seen_home (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    uint64_t h;
    memcpy (&h, id, 8);
    return (size_t) (h * 0x9e3779b97f4a7c15ULL >> 17) & self->seen_mask;
}

/*  Forget ring slot k from the index (backward-shift deletion). */
static void
s_seen_unindex (nines_engine_t *self, size_t k)
{
    size_t i = s_seen_home (self, self->seen [k]);
    while (self->seen_tab [i] && self->seen_tab [i] != k + 1)
        i = (i + 1) & self->seen_mask;
    if (!self->seen_tab [i])
        return;
    for (size_t j = (i + 1) & self->seen_mask; self->seen_tab [j]; j = (j + 1) & self->seen_mask) {
        size_t home = s_seen_home (self, self->seen [self->seen_tab [j] - 1]);
        /* Move j back to the hole at i unless its home lies in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            self->seen_tab [i] = self->seen_tab [j];
            i = j;
        }
    }
    self->seen_tab [i] = 0;
}

/*  Ring slot + 1 of a seen report id, 0 when not seen. */
static size_t
s_seen_slot (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    for (size_t i = s_seen_home (self, id); self->seen_tab [i]; i = (i + 1) & self->seen_mask)
        if (memcmp (self->seen [self->seen_tab [i] - 1], id, NINES_HASH_BYTES) == 0)
            return self->seen_tab [i];
    return 0;
}

static bool
s_seen (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    return s_seen_slot (self, id) != 0;
}

/*  Forget a report we saw, so that it is taken again when it comes back
    (a node that left a pod's committee and forgot the incident, then sits
    on the committee again). */
static void
s_seen_forget (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    size_t slot = s_seen_slot (self, id);
    if (!slot)
        return;
    s_seen_unindex (self, slot - 1);
    memset (self->seen [slot - 1], 0, NINES_HASH_BYTES);
}

/*  Send msg to the committee of pod for epoch, leaving out ourselves
    and, unless skip is UINT64_MAX, the members of the
    committee of epoch skip (they were sent it already). */
static void
s_send_committee (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], uint64_t epoch,
                  uint64_t skip, nines_peer_msg_t *msg)
{
    size_t c = nines_registry_committee_size (self->reg);
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    size_t n = nines_registry_committee (self->reg, pod, epoch, c, members, NULL);
    for (size_t i = 0; i < n; i++) {
        if (skip != UINT64_MAX && nines_registry_in_committee (self->reg, pod, skip, members [i]->id))
            continue;
        /* Members we hold dead get it too: under loss SWIM declares live
           members dead, and a committee is a few dozen messages at most
           (a report skipped there reached 0.67 of its scope at 20 % loss). */
        if (s_member (self, members [i]->id))
            s_send (self, members [i]->id, msg);
    }
}

/*  Push a report on: to every member (or gossip_fanout random ones) under
    NINES_SCOPE_ALL; to the pod's committees of the report's epoch and of
    ours under NINES_SCOPE_COMMITTEE, the validators that probe the pod
    while it is down and vote on its recovery. */
static void
s_gossip_report (nines_engine_t *self, const nines_report_t *report)
{
    if (self->n_members == 0)
        return;
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    msg->type = NINES_MSG_REPORT;
    msg->u.report = *report;        /* s_send changes only from and the piggyback */
    if (self->cfg.report_scope == NINES_SCOPE_COMMITTEE) {
        s_send_committee (self, report->pod, report->epoch, UINT64_MAX, msg);
        if (self->epoch != report->epoch)
            s_send_committee (self, report->pod, self->epoch, report->epoch, msg);
        return;
    }
    size_t fanout = self->cfg.gossip_fanout ? self->cfg.gossip_fanout : self->n_members;
    if (fanout >= self->n_members) {
        for (size_t k = 0; k < self->n_members; k++)
            if (s_member_at (self, k)->state != NINES_MEMBER_DEAD)
                s_send (self, s_member_id (self, s_member_at (self, k)), msg);
        return;
    }
    for (size_t k = 0; k < fanout; k++)
        s_send (self, s_member_id (self, s_member_at (self, s_rand (self, self->n_members))), msg);
}

/*  Send an encoded report we hold (a pod's open DOWN report) to one peer,
    or with to = NULL to the committee of epoch minus that of skip. */
static void
s_send_held_report (nines_engine_t *self, const uint8_t *data, size_t len, const uint8_t *to,
                    const uint8_t pod [NINES_ID_BYTES], uint64_t epoch, uint64_t skip)
{
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    msg->type = NINES_MSG_REPORT;
    if (nines_report_decode (data, len, &msg->u.report))
        return;
    if (to)
        s_send (self, to, msg);
    else
        s_send_committee (self, pod, epoch, skip, msg);
}

/*  True when we signed a vote in a or b (b may be NULL): the signers are
    the ones who re-submit an evidence the former may have failed to
    deliver; every other validator only stores the report (with 10^4
    validators each of them re-submitting, the ledger would get 10^4
    copies of every incident). */
static bool
s_signed (nines_engine_t *self, const nines_report_t *a, const nines_report_t *b)
{
    for (size_t i = 0; i < a->n_votes; i++)
        if (s_is_me (self, a->votes [i].body.validator))
            return true;
    for (size_t i = 0; b && i < b->n_votes; i++)
        if (s_is_me (self, b->votes [i].body.validator))
            return true;
    return false;
}

/*  A verified report, formed here (own) or gossiped: remember it, publish
    it, pass it on, and update the pod's incident. */
static void
s_accept_report (nines_engine_t *self, const nines_report_t *report, origin_t origin, uint64_t now)
{
    bool own = origin == FROM_OWN;
    uint8_t id [NINES_HASH_BYTES];
    nines_report_id (report, id);
    if (s_seen (self, id))
        return;
    if (self->n_seen == self->cfg.max_seen)
        s_seen_unindex (self, self->seen_at);
    memcpy (self->seen [self->seen_at], id, NINES_HASH_BYTES);
    size_t at = s_seen_home (self, id);
    while (self->seen_tab [at])
        at = (at + 1) & self->seen_mask;
    self->seen_tab [at] = (uint32_t) self->seen_at + 1;
    self->seen_at = (self->seen_at + 1) % self->cfg.max_seen;
    if (self->n_seen < self->cfg.max_seen)
        self->n_seen++;
    nines_report_t **slot = &self->reports [self->reports_at];
    if (!*slot)
        *slot = malloc (sizeof **slot);
    if (*slot)
        **slot = *report;
    self->reports_at = (self->reports_at + 1) % self->cfg.max_reports;
    if (self->n_reports < self->cfg.max_reports)
        self->n_reports++;
    self->stats.reports++;

    size_t len = 0;
    if (origin != FROM_DISK
    &&  nines_report_encode (report, self->frame, NINES_PEER_MSG_MAX, &len) == 0) {
        nines_action_t *a = s_push (self, NINES_ACT_REPORT);
        if (a) {
            memcpy (a->pod, report->pod, NINES_ID_BYTES);
            memcpy (a->key, id, NINES_HASH_BYTES);
            a->data = s_dup (self->frame, len);
            a->len = a->data ? len : 0;
        }
    }
    if (origin != FROM_DISK)
        s_gossip_report (self, report);
    /* Our own open round on the pod wanting this kind is answered. */
    for (int i = 0; i < self->rounds_hi; i++) {
        round_t *r = &self->rounds [i];
        if (r->used && !r->done && r->want == report->kind && memcmp (r->pod, report->pod, NINES_ID_BYTES) == 0)
            r->done = true;
    }

    pod_t *pod = report->kind == NINES_REPORT_DOWN ? s_pod_get (self, report->pod)
                                                   : s_pod (self, report->pod);
    if (!pod)
        return;
    if (report->kind == NINES_REPORT_DOWN && !pod->down) {
        pod->down = true;
        pod->down_since = report->t_ms;
        pod->confirmed = report->t_ms;
        pod->incidents++;
        s_health_forget (self, pod->pod);
        free (pod->down_report);
        pod->down_report = NULL;
        pod->down_len = 0;
        size_t enc = 0;
        if (nines_report_encode (report, self->frame, NINES_PEER_MSG_MAX, &enc) == 0
        &&  (pod->down_report = s_dup (self->frame, enc)))
            pod->down_len = (uint32_t) enc;
        memcpy (pod->down_id, id, NINES_HASH_BYTES);
        pod->next_down_probe = 0;
        pod->retry_at = 0;
        pod->retries_left = 0;
        if (nines_registry_in_committee (self->reg, pod->pod, self->epoch, self->kp.pk))
            pod->next_down_probe = now + s_rand (self, self->reg->params.down_probe_ms + 1);
        POD_DUE (self, pod->next_down_probe);
        if (origin != FROM_DISK && (own || s_signed (self, report, NULL)))
            s_outbox_add (self, report, NULL, own, now);
    }
    else
    if (report->kind == NINES_REPORT_DOWN && pod->down && pod->down_report && report->t_ms > pod->confirmed) {
        /* A re-confirmation: hold it instead (hand-off, pull and the
           closing evidence carry the latest) and tell the ledger, which
           charges an open outage only up to its latest DOWN report. */
        size_t enc = 0;
        uint8_t *held = nines_report_encode (report, self->frame, NINES_PEER_MSG_MAX, &enc) == 0
                      ? s_dup (self->frame, enc) : NULL;
        if (held) {
            free (pod->down_report);
            pod->down_report = held;
            pod->down_len = (uint32_t) enc;
            memcpy (pod->down_id, id, NINES_HASH_BYTES);
            pod->confirmed = report->t_ms;
        }
        if (origin != FROM_DISK && (own || s_signed (self, report, NULL)))
            s_outbox_add (self, report, NULL, own, now);
    }
    else
    if (report->kind == NINES_REPORT_UP && pod->down && report->t_ms >= pod->down_since
    &&  pod->down_report) {
        pod->down = false;
        pod->downtime += report->t_ms - pod->down_since;
        pod->next_down_probe = 0;
        nines_report_t *down = origin != FROM_DISK ? malloc (sizeof *down) : NULL;
        if (down && nines_report_decode (pod->down_report, pod->down_len, down) == 0
        &&  (own || s_signed (self, down, report)))
            s_outbox_add (self, down, report, own, now);
        free (down);
        free (pod->down_report);
        pod->down_report = NULL;
        pod->down_len = 0;
    }
}

/*  ---- events ---- */

int
nines_engine_on_message (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now)
{
    if (!data)
        return NINES_OK;
    if (self->isolated || !self->reg)
        return NINES_ESTATE;
    nines_peer_msg_t *msg = self->scratch;
    int rc = nines_peer_msg_decode (data, len, msg);
    if (rc) {
        self->stats.msgs_bad++;
        return rc;
    }
    if (!nines_registry_validator (self->reg, msg->from) || s_is_me (self, msg->from)) {
        self->stats.msgs_bad++;
        return NINES_EUNKNOWN;
    }
    self->stats.msgs_in++;
    if (now > self->now)
        self->now = now;
    /* Hearing from a member is evidence it is alive at its incarnation. */
    member_t *sender = s_member (self, msg->from);
    if (sender && sender->state == NINES_MEMBER_SUSPECT && msg->type != NINES_MSG_MISBEHAVIOUR)
        sender->last_ack_s = (uint32_t) (now / 1000);
    nines_member_update_t updates [NINES_PIGGYBACK_MAX];
    uint8_t n_updates = msg->n_updates;
    memcpy (updates, msg->updates, n_updates * sizeof updates [0]);
    uint8_t from [NINES_ID_BYTES];
    memcpy (from, msg->from, NINES_ID_BYTES);

    switch (msg->type) {
        case NINES_MSG_PING:
            if (self->behaviour != NINES_BEHAVE_SILENT)
                s_ping (self, NINES_MSG_ACK, from, self->kp.pk, msg->u.ping.seq);
            break;
        case NINES_MSG_PING_REQ: {
            if (!s_member (self, msg->u.ping.target))
                break;
            ping_t *p = s_ping_take (self);
            p->relay = true;
            p->seq = ++self->ping_seq;
            memcpy (p->target, msg->u.ping.target, NINES_ID_BYTES);
            memcpy (p->requester, from, NINES_ID_BYTES);
            p->requester_seq = msg->u.ping.seq;
            p->sent = now;
            uint8_t target [NINES_ID_BYTES];
            memcpy (target, msg->u.ping.target, NINES_ID_BYTES);
            s_ping (self, NINES_MSG_PING, target, target, p->seq);
            break;
        }
        case NINES_MSG_ACK:
            s_on_ack (self, msg, now);
            break;
        case NINES_MSG_CONFIRM_REQ: {
            nines_confirm_req_t req = msg->u.confirm;
            if (memcmp (req.initiator, from, NINES_ID_BYTES) != 0) {
                rc = NINES_EMALFORMED;
                break;
            }
            pod_t *pod = s_pod_get (self, req.pod);
            if (!pod) {
                rc = NINES_EUNKNOWN;
                break;
            }
            if (!nines_registry_in_committee (self->reg, req.pod, req.epoch, self->kp.pk)) {
                rc = NINES_ENOTCOMMITTEE;
                break;
            }
            if (pod->down && pod->down_report && req.outcome != NINES_OUTCOME_OK
            &&  !s_confirm_due (self, pod, now, true)) {
                /* A DOWN round on a pod a quorum already reported down,
                   and no re-confirmation is due: the initiator missed the
                   report, so hand it over instead of voting (a second DOWN
                   report would only repeat it). */
                s_send_held_report (self, pod->down_report, pod->down_len, from, NULL, 0, 0);
                break;
            }
            for (int d = 0; d < self->duties_hi; d++) {
                duty_t *duty = &self->duties [d];
                if (duty->used && memcmp (duty->round_id, req.round_id, NINES_HASH_BYTES) == 0) {
                    /* Repeated request: our vote (or the request) was
                       lost; send the vote again if it is signed. */
                    if (duty->voted && duty->vote.signed_len)
                        s_vote_deliver (self, duty->initiator, &duty->vote, now);
                    return NINES_OK;
                }
            }
            if (s_duty_add (self, req.round_id, req.pod, req.epoch, from, req.outcome != NINES_OUTCOME_OK, now)) {
                uint64_t busy = now + self->reg->params.round_timeout_ms;
                /* a DOWN duty on a pod we hold down is a re-confirmation
                   (no pull above): the pod recovering meanwhile must not
                   wait for that round to time out before its UP round */
                bool confirm = pod->down && req.outcome != NINES_OUTCOME_OK;
                if (pod->busy_until < busy) {
                    pod->busy_confirm = confirm && (pod->busy_until <= now || pod->busy_confirm);
                    pod->busy_until = busy;
                }
            }
            break;
        }
        case NINES_MSG_VOTE: {
            nines_vote_t vote = msg->u.vote;
            if (memcmp (vote.body.validator, from, NINES_ID_BYTES) != 0) {
                rc = NINES_EMALFORMED;
                break;
            }
            rc = s_on_vote (self, &vote, now);
            if (rc == NINES_EDUPSIGNER || rc == NINES_ENOTFOUND)
                rc = NINES_OK;              /* late or repeated: harmless */
            break;
        }
        case NINES_MSG_REPORT: {
            uint8_t id [NINES_HASH_BYTES];
            nines_report_id (&msg->u.report, id);
            if (s_seen (self, id))
                break;
            nines_report_t *report = malloc (sizeof *report);
            if (!report)
                return NINES_ENOMEM;
            *report = msg->u.report;
            rc = s_verify_report (self, report);
            for (size_t v = 0; !rc && v < report->n_votes; v++)
                s_doppelganger_check (self, &report->votes [v]);
            if (!rc)
                s_accept_report (self, report, FROM_PEER, now);
            free (report);
            break;
        }
        case NINES_MSG_MISBEHAVIOUR: {
            const nines_misbehaviour_t *mb = &msg->u.misbehaviour;
            if (memcmp (mb->a.body.validator, mb->b.body.validator, NINES_ID_BYTES)
            ||  memcmp (mb->a.body.round_id, mb->b.body.round_id, NINES_HASH_BYTES)
            ||  mb->a.body.verdict == mb->b.body.verdict
            ||  nines_sigcache_vote_verify (self->cfg.sigcache, &mb->a)
            ||  nines_sigcache_vote_verify (self->cfg.sigcache, &mb->b))
                rc = NINES_EBADSIG;
            else {
                self->stats.misbehaviours++;
                s_doppelganger_check (self, &mb->a);
                s_doppelganger_check (self, &mb->b);
            }
            break;
        }
    }
    for (uint8_t i = 0; i < n_updates; i++)
        s_apply_update (self, &updates [i], now);
    if (rc)
        self->stats.msgs_bad++;
    return rc;
}

void
nines_engine_on_probe_done (nines_engine_t *self, uint64_t probe_id, int outcome,
                            const nines_hb_resp_t *resp, const uint8_t *nonce,
                            uint64_t req_t_ms, uint64_t now)
{
    inflight_t *slot = NULL;
    uint64_t at = probe_id & 0xffff;
    if (at < (uint64_t) self->cap_inflight && self->inflight [at].used && self->inflight [at].id == probe_id)
        slot = &self->inflight [at];
    if (!slot || !self->reg)
        return;
    slot->used = false;
    HI_TRIM (self->inflight_hi, self->inflight);
    if (now > self->now)
        self->now = now;
    if (self->isolated)
        outcome = NINES_OUTCOME_TIMEOUT;
    if (self->behaviour == NINES_BEHAVE_ALWAYS_DOWN)
        outcome = NINES_OUTCOME_TIMEOUT;
    bool failed = outcome != NINES_OUTCOME_OK;
    if (slot->kind == PROBE_SCHEDULED) {
        const pod_t *known = s_pod (self, slot->pod);
        if (!known || !known->down)
            s_loss_record (self, failed);
    }
    if (!failed && slot->kind == PROBE_SCHEDULED && !self->cfg.keep_idle_pods && !s_pod (self, slot->pod)) {
        /* The common case in sparse mode: a healthy answer from a pod we
           hold nothing on (not down, no round) leaves nothing to keep. */
        s_health_record (self, slot->pod, false);
        return;
    }
    /* Registered when we asked; the registry may have changed since. */
    pod_t *pod = s_pod_add (self, slot->pod, slot->version == self->reg->version);
    if (!pod)
        return;
    pod->last_outcome = outcome;
    pod->last_probe = now;
    if (failed)
        self->stats.probes_failed++;
    const nines_params_t *p = &self->reg->params;
    /* A pod with an open DOWN report is a known outage, already confirmed
       by a quorum: its heartbeats say nothing about our own network.  One
       heartbeat per measurement counts: a vote's further attempts and the
       retries after the first answered one would fill the ring with the
       one pod under question. */
    bool extra = (slot->kind == PROBE_DUTY && slot->attempt > 0)
              || (slot->kind == PROBE_RETRY && pod->retries_out + pod->retries_left < p->retry_attempts);
    if (!pod->down && !extra)
        s_health_record (self, pod->pod, failed);
    bool may_open = !self->stats.degraded && pod->busy_until <= now && s_may_sign (self, now);
    bool may_up = !self->stats.degraded && (pod->busy_until <= now || pod->busy_confirm) && s_may_sign (self, now);
    switch (slot->kind) {
        case PROBE_SCHEDULED:
            if (failed && !pod->down && may_open && !pod->retry_at && !pod->retries_out) {
                /* retry_attempts more heartbeats at random instants within
                   retry_delay; a round opens when all of them fail too. */
                pod->retries_left = (uint8_t) (p->retry_attempts > NINES_VOTE_ATTEMPTS_MAX
                                             ? NINES_VOTE_ATTEMPTS_MAX : p->retry_attempts);
                pod->retry_ok = false;
                if (!pod->retries_left)
                    s_open_round (self, pod, NINES_REPORT_DOWN, outcome, now);
                else {
                    uint64_t slice = p->retry_delay_ms / pod->retries_left;
                    pod->retry_at = now + 1 + s_rand (self, slice ? slice : 1);
                    POD_DUE (self, pod->retry_at);
                }
            }
            else
            if (!failed && pod->down && may_up)
                s_open_round (self, pod, NINES_REPORT_UP, outcome, now);
            break;
        case PROBE_RETRY:
            if (pod->retries_out)
                pod->retries_out--;
            if (!failed) {
                pod->retry_ok = true;           /* the pod answered: no round */
                pod->retries_left = 0;
                pod->retry_at = 0;
            }
            else
            if (!pod->retries_left && !pod->retries_out && !pod->retry_ok && !pod->down && may_open)
                s_open_round (self, pod, NINES_REPORT_DOWN, outcome, now);
            break;
        case PROBE_DOWN:
            if (!failed && pod->down && may_up)
                s_open_round (self, pod, NINES_REPORT_UP, outcome, now);
            else
            if (failed && may_open && s_confirm_due (self, pod, now, false))
                s_open_round (self, pod, NINES_REPORT_DOWN, outcome, now);
            break;
        case PROBE_DUTY: {
            duty_t *duty = slot->duty < self->cap_duties ? &self->duties [slot->duty] : NULL;
            if (!duty || !duty->used || duty->serial != slot->duty_serial || duty->voted
            ||  slot->attempt >= duty->sent || duty->answered [slot->attempt])
                break;
            duty->answered [slot->attempt] = 1;
            duty->outcome [slot->attempt] = (uint8_t) outcome;
            duty->done++;
            duty->failed += failed;
            /* Up at the first `ok`; down once `needed` failed (the spare
               attempt spares a lost heartbeat's timeout); abstain when
               all failed and we may not vote down. */
            if (!failed || (duty->needed && duty->failed >= duty->needed) || duty->done == duty->planned)
                s_vote (self, duty, outcome, resp, nonce, req_t_ms, now);
            break;
        }
    }
}

void
nines_engine_on_ack (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    for (size_t i = 0; i < self->n_outbox; i++)
        if (memcmp (self->outbox [i].id, id, NINES_HASH_BYTES) == 0) {
            free (self->outbox [i].ev);
            self->outbox [i] = self->outbox [--self->n_outbox];
            self->stats.evidence_acked++;
            return;
        }
}

void
nines_engine_on_tick (nines_engine_t *self, uint64_t now)
{
    if (!self->reg)
        return;
    if (now > self->now)
        self->now = now;
    const nines_params_t *p = &self->reg->params;
    uint64_t epoch = nines_epoch_of (now, p->genesis_ms, p->epoch_ms);
    if (!self->epoch_started || epoch != self->epoch)
        s_start_epoch (self, epoch, now);

    /* Pod timers: scanned only when the earliest is due (pods_due). */
    if (!self->pods_due || now >= self->pods_due) {
        uint64_t due = UINT64_MAX;
        for (size_t i = 0; i < self->n_pods; i++) {
            pod_t *pod = &self->pods [i];
            if (pod->next_probe && now >= pod->next_probe) {
                pod->next_probe = 0;
                s_probe (self, pod->pod, PROBE_SCHEDULED, -1, 0);
            }
            if (pod->retry_at && now >= pod->retry_at) {
                pod->retry_at = 0;
                if (pod->retries_left && !pod->retry_ok) {
                    pod->retries_left--;
                    pod->retries_out++;
                    s_probe (self, pod->pod, PROBE_RETRY, -1, 0);
                }
                if (pod->retries_left && !pod->retry_ok) {
                    uint64_t slice = p->retry_delay_ms / (p->retry_attempts ? p->retry_attempts : 1);
                    pod->retry_at = now + 1 + s_rand (self, slice ? slice : 1);
                }
            }
            if (pod->down && pod->next_down_probe && now >= pod->next_down_probe) {
                pod->next_down_probe = now + p->down_probe_ms;
                s_probe (self, pod->pod, PROBE_DOWN, -1, 0);
            }
            if (pod->next_probe && pod->next_probe < due)
                due = pod->next_probe;
            if (pod->retry_at && pod->retry_at < due)
                due = pod->retry_at;
            if (pod->down && pod->next_down_probe && pod->next_down_probe < due)
                due = pod->next_down_probe;
        }
        self->pods_due = due;
    }
    for (int d = 0; d < self->duties_hi; d++)
        if (self->duties [d].used)
            s_duty_tick (self, d, now);
    for (int i = 0; i < self->rounds_hi; i++) {
        round_t *r = &self->rounds [i];
        if (r->used && !r->done && now < r->deadline && now >= r->next_resend) {
            r->next_resend = now + p->round_timeout_ms / 5;
            s_confirm_send (self, r, false);
        }
        if (r->used && now >= r->deadline) {
            r->used = false;
            if (r->done)
                continue;
            self->stats.rounds_failed++;
            pod_t *pod = s_pod (self, r->pod);
            if (pod)
                pod->busy_until = 0;
        }
    }
    HI_TRIM (self->duties_hi, self->duties);
    HI_TRIM (self->rounds_hi, self->rounds);
    for (size_t i = 0; i < self->n_outbox; i++) {
        outbox_t *o = &self->outbox [i];
        if (now < o->next_at)
            continue;
        size_t len = 0;
        static uint8_t buf [NINES_EVIDENCE_MAX];
        if (nines_evidence_encode (o->ev, buf, sizeof buf, &len) == 0) {
            nines_action_t *a = s_push (self, NINES_ACT_SUBMIT);
            if (a) {
                memcpy (a->pod, o->ev->pod, NINES_ID_BYTES);
                memcpy (a->key, o->id, NINES_HASH_BYTES);
                a->data = s_dup (buf, len);
                a->len = a->data ? len : 0;
                self->stats.evidence_submitted++;
            }
        }
        o->next_at = now + o->backoff;
        o->backoff = o->backoff * 2 > self->cfg.submit_backoff_max_ms
                   ? self->cfg.submit_backoff_max_ms : o->backoff * 2;
    }
    if (!self->isolated)
        s_swim_tick (self, now);
}

uint64_t
nines_engine_next_wakeup (nines_engine_t *self)
{
    if (!self->reg)
        return UINT64_MAX;
    const nines_params_t *p = &self->reg->params;
    uint64_t next = p->genesis_ms + (self->epoch + 1) * p->epoch_ms;
#define MIN_AT(t) do { uint64_t _t = (t); if (_t && _t < next) next = _t; } while (0)
    if (self->pods_due)
        MIN_AT (self->pods_due == UINT64_MAX ? 0 : self->pods_due);
    else
        for (size_t i = 0; i < self->n_pods; i++) {
            MIN_AT (self->pods [i].next_probe);
            MIN_AT (self->pods [i].retry_at);
            if (self->pods [i].down)
                MIN_AT (self->pods [i].next_down_probe);
        }
    for (int d = 0; d < self->duties_hi; d++) {
        const duty_t *duty = &self->duties [d];
        if (!duty->used)
            continue;
        MIN_AT (duty->expires);
        if (!duty->voted && duty->sent < duty->planned)
            MIN_AT (duty->at [duty->sent]);
    }
    for (int i = 0; i < self->rounds_hi; i++)
        if (self->rounds [i].used) {
            MIN_AT (self->rounds [i].deadline);
            if (!self->rounds [i].done)
                MIN_AT (self->rounds [i].next_resend);
        }
    for (size_t i = 0; i < self->n_outbox; i++)
        MIN_AT (self->outbox [i].next_at);
    /* SWIM: the next protocol period and the deadlines of outstanding
       pings, exactly, so an idle node wakes about once per period. */
    if (self->n_members && !self->isolated) {
        uint64_t period = self->cfg.swim_period_ms * self->lhm;
        uint64_t ack_timeout = self->cfg.swim_ack_timeout_ms * self->lhm;
        if (self->next_swim < next)
            next = self->next_swim > self->now ? self->next_swim : self->now;
        FOR_PINGS (self, i) {
            const ping_t *ping = &self->pings [i];
            if (!ping->relay && !ping->indirect)
                MIN_AT (ping->sent + ack_timeout);
            MIN_AT (ping->sent + period);
        }
        uint64_t suspect_timeout = self->cfg.swim_suspect_periods * self->cfg.swim_period_ms;
        for (size_t k = 0; k < self->n_suspects; k++)
            MIN_AT (self->suspects [k].since + suspect_timeout);
        if (self->suspects_rescan)
            MIN_AT (self->now ? self->now : 1);
    }
#undef MIN_AT
    return next;
}

int
nines_engine_restore_report (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now)
{
    nines_report_t *report = malloc (sizeof *report);
    if (!report)
        return NINES_ENOMEM;
    int rc = nines_report_decode (data, len, report);
    if (!rc) {
        uint8_t id [NINES_HASH_BYTES];
        nines_report_id (report, id);
        if (!s_seen (self, id))
            s_accept_report (self, report, FROM_DISK, now);
    }
    free (report);
    return rc;
}

int
nines_engine_restore_evidence (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    if (!ev)
        return NINES_ENOMEM;
    int rc = nines_evidence_decode (data, len, ev);
    if (!rc)
        s_outbox_add (self, &ev->down, ev->has_up ? &ev->up : NULL, true, now);
    free (ev);
    return rc;
}

void
nines_engine_restore_incarnation (nines_engine_t *self, uint64_t incarnation)
{
    if (incarnation == UINT64_MAX)
        incarnation--;
    if (incarnation > self->incarnation)
        self->incarnation = incarnation;
}

/*  ---- queries ---- */

void
nines_engine_stats (nines_engine_t *self, nines_engine_stats_t *stats)
{
    *stats = self->stats;
    stats->listening = self->stats.listening && self->now < self->listen_until;
    stats->incarnation = self->incarnation;
    stats->lhm = self->lhm;
}

size_t
nines_engine_members (nines_engine_t *self, nines_member_info_t *out, size_t max)
{
    for (size_t k = 0; k < self->n_members && k < max; k++) {
        const member_t *m = s_member_at (self, k);
        memcpy (out [k].id, s_member_id (self, m), NINES_ID_BYTES);
        out [k].state = m->state;
        out [k].incarnation = m->incarnation;
        out [k].last_ack_ms = (uint64_t) m->last_ack_s * 1000;
    }
    return self->n_members;
}

size_t
nines_engine_pods (nines_engine_t *self, nines_pod_status_t *out, size_t max)
{
    /* Every registered pod, in id order; pods without state (sparse mode)
       read as never probed. */
    if (!self->reg)
        return 0;
    for (size_t i = 0; i < self->reg->n_pods && i < max; i++) {
        const pod_t *p = s_pod (self, self->reg->pods [i].pod);
        memset (&out [i], 0, sizeof out [i]);
        memcpy (out [i].pod, self->reg->pods [i].pod, NINES_ID_BYTES);
        out [i].last_outcome = -1;
        if (!p)
            continue;
        out [i].down = p->down;
        out [i].last_outcome = p->last_outcome;
        out [i].last_probe_ms = p->last_probe;
        out [i].down_since_ms = p->down ? p->down_since : 0;
        out [i].downtime_ms = p->downtime;
        out [i].incidents = p->incidents;
    }
    return self->reg->n_pods;
}

size_t
nines_engine_reports (nines_engine_t *self, const nines_report_t **out, size_t max)
{
    size_t n = self->n_reports < max ? self->n_reports : max;
    size_t cap = self->cfg.max_reports;
    for (size_t i = 0; i < n; i++)
        out [i] = self->reports [(self->reports_at + cap - n + i) % cap];
    return n;
}

size_t
nines_engine_outbox (nines_engine_t *self, const nines_evidence_t **out, size_t max)
{
    for (size_t i = 0; i < self->n_outbox && i < max; i++)
        out [i] = self->outbox [i].ev;
    return self->n_outbox;
}

/*  ---- shared verification cache (simulator) ---- */

#define SIGCACHE_PROBES 8

struct _nines_sigcache_t {
    uint8_t (*keys) [NINES_HASH_BYTES]; /* H(signer || signed bytes || sig), zero = empty */
    size_t mask;                    /* slots - 1 */
};

nines_sigcache_t *
nines_sigcache_new (size_t slots)
{
    nines_sigcache_t *self = calloc (1, sizeof *self);
    size_t cap = 64;
    while (cap < slots)
        cap *= 2;
    if (self)
        self->keys = calloc (cap, NINES_HASH_BYTES);
    if (self && !self->keys) {
        free (self);
        return NULL;
    }
    if (self)
        self->mask = cap - 1;
    return self;
}

void
nines_sigcache_destroy (nines_sigcache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->keys);
    free (*self_p);
    *self_p = NULL;
}

int
nines_sigcache_vote_verify (nines_sigcache_t *self, const nines_vote_t *vote)
{
    if (!self)
        return nines_vote_verify (vote);
    uint8_t key [NINES_HASH_BYTES];
    nines_hash (key, 3, vote->body.validator, (size_t) NINES_ID_BYTES, vote->signed_bytes,
                (size_t) (vote->signed_len <= NINES_VOTE_SIGNED_MAX ? vote->signed_len : NINES_VOTE_SIGNED_MAX),
                vote->sig, (size_t) NINES_SIG_BYTES);
    uint64_t h = nines_hash_u64 (key);
    for (size_t k = 0; k < SIGCACHE_PROBES; k++)
        if (memcmp (self->keys [(h + k) & self->mask], key, NINES_HASH_BYTES) == 0)
            return NINES_OK;
    if (nines_vote_verify (vote))
        return NINES_EBADSIG;
    static const uint8_t zero [NINES_HASH_BYTES];
    size_t slot = h & self->mask;
    for (size_t k = 0; k < SIGCACHE_PROBES; k++)
        if (memcmp (self->keys [(h + k) & self->mask], zero, NINES_HASH_BYTES) == 0) {
            slot = (h + k) & self->mask;
            break;
        }
    memcpy (self->keys [slot], key, NINES_HASH_BYTES);
    return NINES_OK;
}
