/*  nines wire protocol: msgpack-c encoding and strict decoding of every
    message exchanged between processes (proto/PROTOCOL.md is the spec).

    Framing.  Every peer message is one ZMQ frame holding one msgpack array
        [version = 1, type, from_id (bin 32), updates (array), body (array)]
    where updates piggyback SWIM membership changes (DESIGN.md section 7)
    and body depends on type.  Ledger and query traffic uses msgpack maps
    (see nines_query_*).

    Signed structures (VOTE) travel as [signed_bytes (bin), sig (bin 64)]:
    the signature covers domain || signed_bytes, and the decoder keeps those
    exact bytes so verification never re-encodes.

    Decoding is strict: wrong types, missing fields, truncation, trailing
    bytes, unknown versions or types, and anything over the limits below
    return a negative NINES_E* code (NINES_EMALFORMED, NINES_ETRUNC,
    NINES_ETRAILING, NINES_EVERSION, NINES_ETOOBIG).  Nothing here asserts
    or aborts on input. */
#ifndef NINES_WIRE_H
#define NINES_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto.h"
#include "wire/heartbeat.h"

#define NINES_WIRE_VERSION        1
#define NINES_PEER_MSG_MAX        (64 * 1024)  /* largest peer frame, bytes */
#define NINES_REPORT_MAX          NINES_PEER_MSG_MAX     /* largest encoded report (travels in one peer frame) */
#define NINES_EVIDENCE_MAX        (2 * NINES_REPORT_MAX) /* largest encoded evidence: a DOWN and an UP report */
#define NINES_QUERY_MAX           (64 * 1024)  /* largest ninesd query request, bytes */
#define NINES_SUB_MSG_MAX         1024         /* largest message a PUB socket takes from a
                                                 subscriber: a (un)subscription of a topic, and the
                                                 ZMTP handshake's READY command */
#define NINES_LEDGER_REQ_MAX      (NINES_EVIDENCE_MAX + 1024) /* largest ledger API request: submit_evidence's
                                                 map (op, from: bin 32) around the largest evidence */
#define NINES_REPORT_MAX_VOTES    64           /* votes per quorum report */
#define NINES_VOTE_SIGNED_MAX     320          /* encoded vote body, bytes */
#define NINES_VOTE_ATTEMPTS_MAX   8            /* heartbeat attempts listed in a vote */
#define NINES_PIGGYBACK_MAX       8            /* membership updates per message */
#define NINES_ENDPOINT_MAX        128          /* "tcp://host:port" incl. NUL */
#define NINES_URL_MAX             256          /* facade URL incl. NUL */
#define NINES_HTTP_PATH_MAX       128          /* heartbeat request path incl. NUL */
#define NINES_MAINT_MAX           16           /* maintenance windows per pod */
#define NINES_POD_PINS_MAX        4            /* SPKI pins per pod (current, next, ...) */
#define NINES_POD_KEYS_MAX        4            /* facade keys per pod (current, next, ...) */

/*  Verdict of one committee member on a pod. */
typedef enum {
    NINES_VERDICT_DOWN    = 0,
    NINES_VERDICT_UP      = 1,
    NINES_VERDICT_ABSTAIN = 2
} nines_verdict_t;

/*  Outcome class of one heartbeat at the validator (DESIGN.md section 6). */
typedef enum {
    NINES_OUTCOME_OK            = 0,
    NINES_OUTCOME_APP_UNHEALTHY = 1,  /* facade-signed, app status >= 500 or 0 */
    NINES_OUTCOME_TIMEOUT       = 2,
    NINES_OUTCOME_REFUSED       = 3,
    NINES_OUTCOME_TLS           = 4,  /* handshake failure or pin mismatch */
    NINES_OUTCOME_HTTP          = 5,  /* bad status, missing or invalid signature */
    NINES_OUTCOME_DNS           = 6,
    NINES_OUTCOME_COUNT         = 7
} nines_outcome_t;

/*  Name of an outcome ("ok", "app_unhealthy", "timeout", "refused", "tls",
    "http", "dns") or "?"; and of a verdict ("down", "up", "abstain"). */
const char *nines_outcome_name (int outcome);
const char *nines_verdict_name (int verdict);

typedef enum {
    NINES_REPORT_DOWN = 0,
    NINES_REPORT_UP   = 1
} nines_report_kind_t;

/*  Peer message types (first element after version). */
typedef enum {
    NINES_MSG_PING        = 1,   /* SWIM direct probe */
    NINES_MSG_PING_REQ    = 2,   /* SWIM indirect probe request */
    NINES_MSG_ACK         = 3,   /* SWIM acknowledgement */
    NINES_MSG_CONFIRM_REQ = 4,   /* ask a committee member to re-probe and vote */
    NINES_MSG_VOTE        = 5,   /* a signed vote */
    NINES_MSG_REPORT      = 6,   /* a quorum report, gossiped */
    NINES_MSG_MISBEHAVIOUR= 7,   /* two conflicting votes by one signer */
    NINES_MSG_TYPE_MAX    = 7
} nines_msg_type_t;

/*  SWIM member state. */
typedef enum {
    NINES_MEMBER_ALIVE   = 0,
    NINES_MEMBER_SUSPECT = 1,
    NINES_MEMBER_DEAD    = 2
} nines_member_state_t;

/*  One piggybacked membership update: [id, state, incarnation]. */
typedef struct {
    uint8_t id [NINES_ID_BYTES];   /* member the update is about */
    uint8_t state;                 /* nines_member_state_t */
    uint64_t incarnation;          /* member's incarnation number */
} nines_member_update_t;

/*  PING, PING_REQ and ACK body: [seq, target].
    PING: target = the probed member; PING_REQ: target = the member the
    receiver should probe on the sender's behalf; ACK: target = the member
    whose liveness is acknowledged (the pinged one). */
typedef struct {
    uint64_t seq;                  /* sender's probe sequence number */
    uint8_t target [NINES_ID_BYTES];
} nines_ping_t;

/*  CONFIRM_REQ body: [round_id, pod, epoch, initiator, t_ms, outcome]. */
typedef struct {
    uint8_t round_id [NINES_HASH_BYTES]; /* H(pod || le64(epoch) || initiator || nonce) */
    uint8_t pod [NINES_ID_BYTES];        /* pod under suspicion */
    uint64_t epoch;                      /* epoch of the round */
    uint8_t initiator [NINES_ID_BYTES];  /* validator that opened the round */
    uint64_t t_ms;                       /* initiator's observation time, Unix ms */
    uint8_t outcome;                     /* initiator's failed outcome */
} nines_confirm_req_t;

/*  One heartbeat a vote rests on: sent age_ms before the vote's t_ms,
    with this outcome (PROTOCOL.md 8.1). */
typedef struct {
    uint32_t age_ms;                      /* vote t_ms minus the heartbeat's send time, ms */
    uint8_t outcome;                      /* nines_outcome_t */
} nines_attempt_t;

/*  Vote fields, encoded as the array
        [round_id, pod, epoch, validator, verdict, outcome, t_ms, proof, attempts]
    where proof is nil or [nonce16, t_ms, app_status, app_latency_us, sig]
    (the facade's signed heartbeat response that backs an `up` vote) and
    attempts the array of at most NINES_VOTE_ATTEMPTS_MAX [age_ms, outcome]
    of the signer's heartbeats in this round, oldest first.  A `down` vote
    whose attempts include an `ok` is malformed. */
typedef struct {
    uint8_t round_id [NINES_HASH_BYTES];  /* round voted in */
    uint8_t pod [NINES_ID_BYTES];         /* pod voted on */
    uint64_t epoch;                       /* round's epoch */
    uint8_t validator [NINES_ID_BYTES];   /* signer */
    uint8_t verdict;                      /* nines_verdict_t */
    uint8_t outcome;                      /* nines_outcome_t of the signer's probe */
    uint64_t t_ms;                        /* signer's observation time, Unix ms */
    bool has_proof;                       /* proof fields below are set */
    uint8_t proof_nonce [NINES_NONCE_BYTES]; /* heartbeat nonce */
    uint64_t proof_t_ms;                  /* heartbeat request time */
    nines_hb_resp_t proof;                /* facade-signed response */
    uint8_t n_attempts;                   /* attempts [] used */
    nines_attempt_t attempts [NINES_VOTE_ATTEMPTS_MAX]; /* the heartbeats voted on */
} nines_vote_body_t;

/*  A signed vote: fields, the exact bytes the signature covers (after the
    domain "nines/vote/v1") and the signature. */
typedef struct {
    nines_vote_body_t body;                        /* decoded fields */
    uint8_t signed_bytes [NINES_VOTE_SIGNED_MAX];  /* msgpack of body */
    uint16_t signed_len;                           /* bytes used */
    uint8_t sig [NINES_SIG_BYTES];                 /* Ed25519 by body.validator */
} nines_vote_t;

/*  Encode vote->body into vote->signed_bytes (signed_len set), the sig
    untouched: what nines_vote_sign signs; alone, for ninesd's forging
    adversary (evm/adversary) and tests.  0 or NINES_ETOOBIG. */
int nines_vote_encode (nines_vote_t *vote);

/*  Encode vote->body into vote->signed_bytes and sign it with kp (whose
    public key must equal body.validator, else NINES_EINVAL). */
int nines_vote_sign (nines_vote_t *vote, const nines_keypair_t *kp);

/*  Verify vote->sig by vote->body.validator over signed_bytes.
    0 or NINES_EBADSIG.  Does not re-encode. */
int nines_vote_verify (const nines_vote_t *vote) NINES_WARN_UNUSED;

/*  QUORUM_REPORT body: [kind, pod, epoch, round_id, t_ms, votes[]] where
    each vote is [signed_bytes, sig].  t_ms is the median observation time
    of the agreeing votes. */
typedef struct {
    uint8_t kind;                         /* nines_report_kind_t */
    uint8_t pod [NINES_ID_BYTES];         /* pod reported */
    uint64_t epoch;                       /* epoch of the round */
    uint8_t round_id [NINES_HASH_BYTES];  /* round that formed it */
    uint64_t t_ms;                        /* median agreeing observation, Unix ms */
    uint16_t n_votes;                     /* votes used */
    nines_vote_t votes [NINES_REPORT_MAX_VOTES]; /* signed votes */
} nines_report_t;

/*  Report id for de-duplication: BLAKE2b-256("nines/report-id/v1" || kind
    || pod || round_id).  Two reports of the same round with different vote
    subsets share the id. */
void nines_report_id (const nines_report_t *report, uint8_t id [NINES_HASH_BYTES]);

/*  MISBEHAVIOUR body: [vote_a, vote_b]: two validly signed votes by the same
    validator in the same round with different verdicts (equivocation). */
typedef struct {
    nines_vote_t a;                       /* first vote */
    nines_vote_t b;                       /* conflicting vote */
} nines_misbehaviour_t;

/*  One decoded peer message. */
typedef struct {
    uint8_t type;                                  /* nines_msg_type_t */
    uint8_t from [NINES_ID_BYTES];                 /* sender id */
    uint8_t n_updates;                             /* piggybacked updates */
    nines_member_update_t updates [NINES_PIGGYBACK_MAX];
    union {
        nines_ping_t ping;                         /* PING, PING_REQ, ACK */
        nines_confirm_req_t confirm;               /* CONFIRM_REQ */
        nines_vote_t vote;                         /* VOTE */
        nines_report_t report;                     /* REPORT */
        nines_misbehaviour_t misbehaviour;         /* MISBEHAVIOUR */
    } u;
} nines_peer_msg_t;

/*  Encode msg into buf (capacity cap); *len gets the size.
    0, NINES_ETOOBIG (cap too small or over limits) or NINES_EINVAL. */
int nines_peer_msg_encode (const nines_peer_msg_t *msg, uint8_t *buf, size_t cap, size_t *len);

/*  Decode one peer frame into msg (caller-allocated; nines_peer_msg_t is
    large because of the report, so keep it off small stacks).
    0 or a negative NINES_E* code; never aborts. */
int nines_peer_msg_decode (const uint8_t *buf, size_t len, nines_peer_msg_t *msg);

/*  Encode / decode a report on its own (stored in LMDB, inside evidence,
    in the PUB stream).  Same strictness. */
int nines_report_encode (const nines_report_t *report, uint8_t *buf, size_t cap, size_t *len);
int nines_report_decode (const uint8_t *buf, size_t len, nines_report_t *report);

/*  EVIDENCE: [version, pod, down_report, up_report | nil]: one incident,
    submitted to the ledger.  An open incident has no up report. */
typedef struct {
    uint8_t pod [NINES_ID_BYTES];         /* pod of the incident */
    nines_report_t down;                  /* DOWN report that opened it */
    bool has_up;                          /* up report present */
    nines_report_t up;                    /* UP report that closed it */
} nines_evidence_t;

int nines_evidence_encode (const nines_evidence_t *ev, uint8_t *buf, size_t cap, size_t *len);
int nines_evidence_decode (const uint8_t *buf, size_t len, nines_evidence_t *ev);

/*  Registry entries (DESIGN.md section 5), as held by the ledger and
    followed by validators. */
typedef struct {
    uint8_t id [NINES_ID_BYTES];          /* validator id */
    uint64_t stake;                       /* base units */
    char endpoint [NINES_ENDPOINT_MAX];   /* peer endpoint, "tcp://127.0.0.1:7410" */
} nines_validator_info_t;

typedef struct {
    uint64_t start_ms;                    /* window start, Unix ms */
    uint64_t end_ms;                      /* window end (exclusive), Unix ms */
    uint64_t announced_ms;                /* when the ledger accepted it */
} nines_maint_t;

typedef struct {
    uint8_t pod [NINES_ID_BYTES];         /* pod id */
    uint8_t provider [NINES_ID_BYTES];    /* provider (owner) id */
    char facade_url [NINES_URL_MAX];      /* "https://127.0.0.1:8443/" */
    uint8_t n_facade_keys;                /* facade keys used, 1..NINES_POD_KEYS_MAX */
    uint8_t facade_keys [NINES_POD_KEYS_MAX][NINES_ID_BYTES]; /* Ed25519 public keys, any of
                                             which may sign heartbeat answers (rotation) */
    uint8_t n_spki_pins;                  /* pins used, 1..NINES_POD_PINS_MAX */
    uint8_t spki_pins [NINES_POD_PINS_MAX][NINES_HASH_BYTES]; /* sha256 of an accepted TLS
                                             SubjectPublicKeyInfo each (rotation) */
    uint64_t stake;                       /* provider stake on this pod, base units */
    uint64_t paid_until_ms;               /* protection ends here, Unix ms */
    char method [8];                      /* heartbeat method, default "GET" */
    char path [NINES_HTTP_PATH_MAX];      /* heartbeat path, default "/" */
    uint8_t n_maint;                      /* maintenance windows used */
    nines_maint_t maint [NINES_MAINT_MAX];/* announced windows */
} nines_pod_info_t;

/*  Protocol parameters (DESIGN.md sections 5 to 8), with their defaults. */
typedef struct {
    uint8_t genesis_seed [32];      /* epoch seed input */
    uint64_t genesis_ms;            /* epoch 0 starts here, Unix ms (default 0) */
    uint64_t epoch_ms;              /* epoch length (10 s) */
    uint32_t r;                     /* probers per pod per epoch (3) */
    uint32_t committee;             /* committee size C (7) */
    uint32_t theta_ppm;             /* quorum fraction θ (666667) */
    uint64_t probe_timeout_ms;      /* heartbeat timeout (5 s) */
    uint64_t retry_delay_ms;        /* the retries of a failed heartbeat go out within (500 ms) */
    uint64_t vote_delay_ms;         /* max random delay before a member starts measuring (0) */
    uint32_t vote_attempts;         /* heartbeats a member's `down` vote rests on, at least (4) */
    uint64_t vote_window_ms;        /* a member's attempts go out at random instants within (1.5 s; at most round_timeout / 4) */
    uint32_t vote_false_ppm;        /* largest own false-down chance a member accepts (2000) */
    uint32_t retry_attempts;        /* retries of a failed heartbeat before a round opens (2) */
    uint64_t round_timeout_ms;      /* round gives up after (15 s) */
    uint64_t down_probe_ms;         /* probe interval of a pod reported down (5 s) */
    uint64_t down_confirm_ms;       /* a reported outage is re-confirmed by a DOWN round this often (60 s) */
    uint64_t min_validator_stake;   /* base units (1000) */
    uint64_t d_mid_ms;              /* sigmoid midpoint (2 h) */
    uint64_t s_ms;                  /* sigmoid scale (30 min) */
    uint32_t max_slash_ppm;         /* largest slash fraction of stake (100000 = 10 %) */
    uint64_t grace_ms;              /* ignore merged incidents shorter (60 s) */
    uint64_t notice_ms;             /* maintenance notice (24 h) */
    uint64_t maint_budget_ms;       /* maintenance allowed per period (4 h) */
    uint64_t maint_period_ms;       /* rolling maintenance period (30 d) */
    uint32_t merge_factor;          /* gap < factor * previous duration merges (24) */
    uint64_t merge_min_ms;          /* merge gap clamp low (15 min) */
    uint64_t merge_max_ms;          /* merge gap clamp high (7 d) */
    uint64_t window_ms;             /* availability window (30 d) */
    uint32_t fee_ppm;               /* monitoring fee per fee period, of pod stake (1000) */
    uint64_t fee_period_ms;         /* fee and canary period (1 d) */
    uint64_t canary_window_ms;      /* time to countersign a canary (60 s) */
    uint64_t corr_window_ms;        /* correlated-outage window; no slash is paid before it ends (5 min) */
} nines_params_t;

/*  Fill params with the defaults listed above: the def column of
    nines_param_descs (one table for the codec, the ZPL format and the
    defaults). */
void nines_params_default (nines_params_t *params);

/*  One row per nines_params_t field: the params codec, the registry ZPL
    format and proto/PROTOCOL.md all follow this table.  kind: 'h' 32-byte
    hex/bin, 'd' duration in ms (u64), 'u' u64, 'w' u32, 'p' ppm (u32). */
typedef struct {
    const char *name;           /* key in maps and ZPL files */
    char kind;                  /* value kind, see above */
    size_t offset;              /* offsetof (nines_params_t, field) */
    uint64_t def;               /* default (nines_params_default; 0 for 'h') */
} nines_param_desc_t;

extern const nines_param_desc_t nines_param_descs [];
extern const size_t nines_param_ndescs;

/*  Registry entry codecs: validator [id, stake, endpoint];
    pod [pod, provider, facade_url, facade_keys[bin32 x 1..NINES_POD_KEYS_MAX],
         spki_pins[bin32 x 1..NINES_POD_PINS_MAX], stake, paid_until,
         method, path, maint[[start, end, announced]...]] (an empty or
         oversized key or pin set is NINES_EMALFORMED / NINES_ETOOBIG);
    params: a msgpack map keyed by the field names above (unknown keys
    rejected, missing keys take defaults).  Same strictness as above. */
int nines_validator_info_encode (const nines_validator_info_t *v, uint8_t *buf, size_t cap, size_t *len);
int nines_validator_info_decode (const uint8_t *buf, size_t len, nines_validator_info_t *v);
int nines_pod_info_encode (const nines_pod_info_t *p, uint8_t *buf, size_t cap, size_t *len);
int nines_pod_info_decode (const uint8_t *buf, size_t len, nines_pod_info_t *p);
int nines_params_encode (const nines_params_t *p, uint8_t *buf, size_t cap, size_t *len);
int nines_params_decode (const uint8_t *buf, size_t len, nines_params_t *p);

/*  Query and API requests are msgpack maps with string keys; "op" (string)
    is required.  Replies are maps with "ok" (bool) and, when not ok,
    "error" (string).  nines_query_t holds one parsed request. */
typedef struct _nines_query_t nines_query_t;

/*  Parse a request map (<= NINES_QUERY_MAX bytes).  *query_p is set on
    success.  NINES_EMALFORMED when not a map with string keys and an "op"
    string, NINES_ETOOBIG, NINES_ETRAILING. */
int nines_query_parse (const uint8_t *buf, size_t len, nines_query_t **query_p);
/*  The same with another size bound: max bytes (the ledger API takes
    NINES_LEDGER_REQ_MAX, since its requests carry evidence). */
int nines_query_parse_max (const uint8_t *buf, size_t len, size_t max, nines_query_t **query_p);
void nines_query_destroy (nines_query_t **query_p);

/*  The op string (never NULL after a successful parse). */
const char *nines_query_op (nines_query_t *query);

/*  Typed lookups of optional keys.  0, NINES_ENOTFOUND (key absent) or
    NINES_EMALFORMED (present with the wrong type).  Strings are copied
    NUL-terminated into out (capacity size; NINES_ETOOBIG if longer); bin
    lookups require exactly len bytes. */
int nines_query_str (nines_query_t *query, const char *key, char *out, size_t size);
int nines_query_u64 (nines_query_t *query, const char *key, uint64_t *out);
int nines_query_bool (nines_query_t *query, const char *key, bool *out);
int nines_query_bin (nines_query_t *query, const char *key, uint8_t *out, size_t len);
/*  Raw bytes of a bin value of any length (pointer into the request). */
int nines_query_blob (nines_query_t *query, const char *key, const uint8_t **data, size_t *len);

/*  Reply writing uses msgpack-c's packer directly (msgpack_sbuffer +
    msgpack_packer); these helpers keep key spelling in one place. */
struct msgpack_packer;
struct msgpack_object;
struct msgpack_sbuffer;

/*  The set-up of every encoder: sb empty, pk packing into it (sb.data is
    malloc'd as it grows: msgpack_sbuffer_destroy, or hand it on). */
void nines_packer_init (struct msgpack_sbuffer *sb, struct msgpack_packer *pk);

/*  nines_packer_init, then the head of a map of n key/value pairs: the
    opening of every reply and record map. */
void nines_packer_init_map (struct msgpack_sbuffer *sb, struct msgpack_packer *pk, uint32_t n);
/*  Value of the string key in a msgpack map object, or NULL when map is
    NULL, not a map, or has no such key (reply, PUB frame and request
    reading share this one lookup). */
const struct msgpack_object *nines_map_get (const struct msgpack_object *map, const char *key);
void nines_pack_str (struct msgpack_packer *pk, const char *s);
void nines_pack_kv_str (struct msgpack_packer *pk, const char *key, const char *value);
void nines_pack_kv_u64 (struct msgpack_packer *pk, const char *key, uint64_t value);
void nines_pack_kv_bool (struct msgpack_packer *pk, const char *key, bool value);
void nines_pack_kv_bin (struct msgpack_packer *pk, const char *key, const uint8_t *data, size_t len);
/*  The head of a rows reply, {ok: true, rows: [...]} (both query servers,
    proto/QUERY.md): the map of 2, ok, the key rows and an array header of
    n entries; the caller packs the n rows after it. */
void nines_pack_rows_head (struct msgpack_packer *pk, uint32_t n);
/*  Write a complete error reply {ok: false, error: text} into a fresh
    sbuffer-owned buffer: *out (malloc'd, caller frees) and *len. */
int nines_reply_error (const char *text, uint8_t **out, size_t *len);

/*  The error reply of both query servers (ninesd, nines-ledger; PROTOCOL.md
    section 11): error = "<symbolic code>: <detail>", e.g. "NINES_EINVAL:
    unknown op 'x'" (vector reply.error).  code is a NINES_E* code, named
    by nines_errname; detail is text for people (clients read the code).
    Output as nines_reply_error. */
int nines_reply_fail (int code, const char *detail, uint8_t **out, size_t *len);

/*  The reply to a request nines_query_parse refused with rc:
    "<rc's name>: request is not a msgpack map of str keys with an op str
    of at most 63 bytes". */
int nines_reply_bad_query (int rc, uint8_t **out, size_t *len);

/*  The reply to an op the server does not know: "NINES_EINVAL: unknown op
    '<op>'". */
int nines_reply_unknown_op (const char *op, uint8_t **out, size_t *len);

/*  Make a reply say which op it answers: *reply (a malloc'd msgpack map of
    *len bytes, as the functions above and a handler's sbuffer give it) is
    replaced by the same map with "op": op as its first pair (proto/
    LEDGER.md "Transport"; clients that do not look for it see one more
    key).  0, NINES_EMALFORMED (not a map; *reply unchanged) or
    NINES_ENOMEM (*reply unchanged). */
int nines_reply_set_op (const char *op, uint8_t **reply, size_t *len) NINES_WARN_UNUSED;

/*  The op a reply says it answers (nines_reply_set_op), copied into op
    (size bytes, NUL-terminated).  0, NINES_ENOTFOUND when the reply is a
    map without an op str (a server that does not say), NINES_EMALFORMED
    when it is not a map, NINES_ETOOBIG when the op does not fit. */
int nines_reply_op (const uint8_t *reply, size_t len, char *op, size_t size) NINES_WARN_UNUSED;

#endif
