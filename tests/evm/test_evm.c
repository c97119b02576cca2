/*  src/evm against Foundry's cast: Keccak-256, RLP, ABI calldata of the
    contract's calls, addresses and EIP-55, EIP-1559 transactions signed
    byte for byte as `cast mktx` signs them (tests/evm/vectors.txt, made by
    tests/evm/gen_vectors.sh).  With cast present (deploy/bootstrap's
    contracts/node_modules/.bin) every vector's command is re-run and must
    still print the committed output; NINES_EVM_NO_CAST=1 skips that.
    Also the chain key file's rules, and timings (sign, Keccak MB/s). */
#include "testutil.h"
#include "evm/abi.h"
#include "evm/calldata.h"
#include "evm/evidence.h"
#include "evm/keccak.h"
#include "evm/key.h"
#include "evm/rlp.h"
#include "evm/rpc.h"
#include "evm/staking.h"
#include "evm/tx.h"
#include "crypto/crypto.h"
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXV 64

static struct { char name [64]; char *cmd; char *out; } s_vec [MAXV];
static int s_nvec;

static char *
s_trim (char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen (s);
    while (n && (s [n - 1] == ' ' || s [n - 1] == '\n'))
        s [--n] = 0;
    return s;
}

static void
s_load (void)
{
    FILE *f = t_source_open ("tests/evm/vectors.txt");
    CHECK (f != NULL);
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline (&line, &cap, f) > 0 && s_nvec < MAXV) {
        if (line [0] == '#')
            continue;
        char *a = strstr (line, " | "), *b = a ? strrchr (line, '|') : NULL;
        if (!a || b <= a + 1)
            continue;
        *a = 0;
        *b = 0;
        snprintf (s_vec [s_nvec].name, sizeof s_vec [0].name, "%s", s_trim (line));
        s_vec [s_nvec].cmd = strdup (s_trim (a + 3));
        s_vec [s_nvec].out = strdup (s_trim (b + 1));
        s_nvec++;
    }
    free (line);
    fclose (f);
}

static int
s_find (const char *name)
{
    for (int i = 0; i < s_nvec; i++)
        if (strcmp (s_vec [i].name, name) == 0)
            return i;
    fprintf (stderr, "no vector %s\n", name);
    CHECK (!"vector missing");
    return -1;
}

/*  hex "0x..." into a fresh buffer */
static uint8_t *
s_unhex (const char *hex, size_t *len)
{
    if (strncmp (hex, "0x", 2) == 0)
        hex += 2;
    size_t n = strlen (hex) / 2;
    uint8_t *p = malloc (n + 1);
    if (nines_unhex (p, n, hex)) {
        free (p);
        *len = 0;
        return NULL;
    }
    *len = n;
    return p;
}

/*  b's bytes equal vector name's output. */
static void
s_expect (const char *name, const uint8_t *p, size_t len)
{
    int i = s_find (name);
    if (i < 0)
        return;
    size_t n;
    uint8_t *want = s_unhex (s_vec [i].out, &n);
    t_checks++;
    if (!want || n != len || memcmp (want, p, n) != 0) {
        t_failures++;
        char *got = malloc (2 * len + 1);
        nines_hex (got, p, len);
        fprintf (stderr, "%s: got 0x%s\n  want %s\n", name, got, s_vec [i].out);
        free (got);
    }
    free (want);
}

static void
s_expect_buf (const char *name, nines_buf_t *b)
{
    CHECK_RC (nines_buf_status (b), 0);
    s_expect (name, b->data, b->len);
    nines_buf_free (b);
}

/*  The text between the first pair of single quotes of vector i's command. */
static char *
s_quoted (int i, char *out, size_t cap)
{
    const char *a = strchr (s_vec [i].cmd, '\''), *b = a ? strchr (a + 1, '\'') : NULL;
    out [0] = 0;
    if (b && (size_t) (b - a) < cap)
        snprintf (out, cap, "%.*s", (int) (b - a - 1), a + 1);
    return out;
}

/*  The last word of vector i's command. */
static const char *
s_last_word (int i)
{
    const char *sp = strrchr (s_vec [i].cmd, ' ');
    return sp ? sp + 1 : s_vec [i].cmd;
}

static void
test_keccak (void)
{
    for (int i = 0; i < s_nvec; i++) {
        if (strncmp (s_vec [i].name, "keccak_", 7) != 0)
            continue;
        size_t n;
        uint8_t *in = s_unhex (s_last_word (i), &n), h [32];
        nines_keccak256 (h, in, n);
        s_expect (s_vec [i].name, h, 32);
        /* the same in uneven pieces: the block boundary in update */
        nines_keccak_t k;
        nines_keccak_init (&k);
        for (size_t at = 0, step = 1; at < n; at += step, step = step * 3 + 1)
            nines_keccak_update (&k, in + at, at + step > n ? n - at : step);
        nines_keccak_final (&k, h);
        s_expect (s_vec [i].name, h, 32);
        free (in);
    }
    uint8_t h [32];
    nines_evm_topic (h, NINES_EVM_EV_CLAIMED);
    s_expect ("topic_claimed", h, 32);
}

/*  cast's to-rlp JSON: a "0x.." string is a byte string, an array a list. */
static void
s_rlp_json (nines_buf_t *b, json_t *j)
{
    if (json_is_array (j)) {
        size_t at = nines_rlp_list_begin (b), i;
        json_t *v;
        json_array_foreach (j, i, v)
            s_rlp_json (b, v);
        CHECK_RC (nines_rlp_list_end (b, at), 0);
        return;
    }
    size_t n;
    uint8_t *p = s_unhex (json_string_value (j), &n);
    CHECK_RC (nines_rlp_bytes (b, p, n), 0);
    free (p);
}

static void
test_rlp (void)
{
    char arg [8192];
    for (int i = 0; i < s_nvec; i++) {
        if (strncmp (s_vec [i].name, "rlp_", 4) != 0)
            continue;
        json_t *j = json_loads (s_quoted (i, arg, sizeof arg), JSON_DECODE_ANY, NULL);
        CHECK (j != NULL);
        nines_buf_t b = { 0 };
        s_rlp_json (&b, j);
        s_expect_buf (s_vec [i].name, &b);
        json_decref (j);
    }
    /* integers: minimal big-endian, 0 the empty string */
    nines_buf_t b = { 0 };
    nines_rlp_uint (&b, 1024);
    s_expect_buf ("rlp_uint_0400", &b);
    nines_rlp_uint (&b, 0);
    s_expect_buf ("rlp_empty", &b);
    nines_rlp_uint (&b, 0x7f);
    s_expect_buf ("rlp_7f", &b);
    nines_rlp_uint (&b, 0x80);
    s_expect_buf ("rlp_80", &b);
    uint8_t w [32] = { 0 };
    nines_rlp_u256 (&b, w);
    s_expect_buf ("rlp_empty", &b);
    w [30] = 4;
    nines_rlp_u256 (&b, w);
    s_expect_buf ("rlp_uint_0400", &b);
    CHECK_RC (nines_rlp_list_end (&b, 1), NINES_EINVAL);
}

static void
s_fill (uint8_t *p, uint8_t v, size_t n)
{
    memset (p, v, n);
}

static uint8_t s_seq [1024];

static void
test_abi (void)
{
    for (int i = 0; i < 1024; i++)
        s_seq [i] = (uint8_t) i;
    nines_buf_t b = { 0 };
    uint8_t ab [33], id [32], big [64], addr [20];
    s_fill (ab, 0xab, 33);
    s_fill (id, 0xcc, 32);
    s_fill (big, 0x77, 64);
    nines_abi_t a [5] = { nines_abi_bytes ((const uint8_t *) "\x12\x34", 2), nines_abi_uint (7) };
    CHECK_RC (nines_abi_call (&b, "f(bytes,uint64)", a, 2), 0);
    s_expect_buf ("abi_f_bytes", &b);
    a [0] = nines_abi_bytes (NULL, 0);
    a [1] = nines_abi_uint (0);
    nines_abi_call (&b, "f(bytes,uint64)", a, 2);
    s_expect_buf ("abi_f_empty", &b);
    a [0] = nines_abi_bytes (ab, 33);
    a [1] = nines_abi_uint (UINT64_MAX);
    nines_abi_call (&b, "f(bytes,uint64)", a, 2);
    s_expect_buf ("abi_f_33", &b);

    nines_abi_t u [3] = { nines_abi_uint (1), nines_abi_uint (2), nines_abi_uint (3) };
    nines_abi_t bs [2] = { nines_abi_bytes ((const uint8_t *) "\x01", 1), nines_abi_bytes (NULL, 0) };
    nines_abi_t t [2] = { nines_abi_uint (5), nines_abi_bytes ((const uint8_t *) "\xde\xad\xbe\xef", 4) };
    CHECK_RC (nines_evm_parse_address (addr, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), 0);
    a [0] = nines_abi_array (u, 3);
    a [1] = nines_abi_array (bs, 2);
    a [2] = nines_abi_tuple (t, 2);
    a [3] = nines_abi_bool (true);
    a [4] = nines_abi_address (addr);
    nines_abi_call (&b, "g(uint256[],bytes[],(uint8,bytes),bool,address)", a, 5);
    s_expect_buf ("abi_g_nested", &b);

    nines_abi_t st [2] = { nines_abi_uint (9), nines_abi_word (id) };
    nines_abi_t p1 [2] = { nines_abi_uint (1), nines_abi_uint (2) }, p2 [2] = { nines_abi_uint (3), nines_abi_uint (4) };
    nines_abi_t pairs [2] = { nines_abi_tuple (p1, 2), nines_abi_tuple (p2, 2) };
    a [0] = nines_abi_tuple (st, 2);
    a [1] = nines_abi_bytes (big, 64);
    a [2] = nines_abi_array (pairs, 2);
    CHECK (!nines_abi_dynamic (&a [0]) && nines_abi_dynamic (&a [1]) && nines_abi_dynamic (&a [2]));
    nines_abi_call (&b, "h((uint64,bytes32),bytes,(uint8,uint8)[])", a, 3);
    s_expect_buf ("abi_h_static_tuple", &b);

    /* decoders, on abi_f_33's arguments (after the selector) */
    nines_abi_t f [2] = { nines_abi_bytes (ab, 33), nines_abi_uint (UINT64_MAX) };
    nines_abi_t ft = nines_abi_tuple (f, 2);
    CHECK_RC (nines_abi_encode (&b, &ft), 0);
    uint64_t v = 0;
    const uint8_t *p = NULL;
    size_t n = 0;
    CHECK_RC (nines_abi_get_uint (b.data, b.len, 1, &v), 0);
    CHECK (v == UINT64_MAX);
    CHECK_RC (nines_abi_get_bytes (b.data, b.len, 0, &p, &n), 0);
    CHECK (n == 33 && p && memcmp (p, ab, 33) == 0);
    CHECK_RC (nines_abi_get_uint (b.data, b.len, 5, &v), NINES_ETRUNC);
    CHECK_RC (nines_abi_get_uint (b.data, b.len, 2, &v), 0);   /* the length word */
    CHECK_EQ (v, 33);
    b.data [0] = 1;                                             /* offset 2^248 */
    CHECK_RC (nines_abi_get_bytes (b.data, b.len, 0, &p, &n), NINES_ETOOBIG);
    nines_buf_free (&b);
}

/*  The evidence of gen_vectors.sh (DOWN, UP). */
static const uint32_t s_com_down [3] = { 1, 4, 7 }, s_com_up [4] = { 2, 4, 7, 9 };
static nines_evm_vote_t s_votes_down [2], s_votes_up [1];
static nines_evm_report_t s_down, s_up;

static void
s_evidence (void)
{
    s_votes_down [0] = (nines_evm_vote_t) { .member = 0, .body = s_seq, .body_len = 5 };
    s_fill (s_votes_down [0].r, 0x11, 32);
    s_fill (s_votes_down [0].s, 0x22, 32);
    s_votes_down [1] = (nines_evm_vote_t) { .member = 2, .body = s_seq, .body_len = 40 };
    s_fill (s_votes_down [1].r, 0x33, 32);
    s_fill (s_votes_down [1].s, 0x44, 32);
    s_votes_up [0] = (nines_evm_vote_t) { .member = 3, .body = s_seq, .body_len = 33 };
    s_fill (s_votes_up [0].r, 0x55, 32);
    s_fill (s_votes_up [0].s, 0x66, 32);
    s_down = (nines_evm_report_t) { .kind = 0, .epoch = 12, .t_ms = 1700000000000ull,
        .committee = s_com_down, .n_committee = 3, .votes = s_votes_down, .n_votes = 2 };
    s_fill (s_down.pod, 0xaa, 32);
    s_fill (s_down.round_id, 0xbb, 32);
    s_up = (nines_evm_report_t) { .kind = 1, .epoch = 13, .t_ms = 1700000090000ull,
        .committee = s_com_up, .n_committee = 4, .votes = s_votes_up, .n_votes = 1 };
    s_fill (s_up.pod, 0xaa, 32);
    s_fill (s_up.round_id, 0xdd, 32);
}

static void
test_staking_calls (void)
{
    s_evidence ();
    nines_buf_t b = { 0 };
    uint8_t id [32], pod [32], h [32];
    s_fill (id, 0xcc, 32);
    s_fill (pod, 0xaa, 32);
    CHECK_RC (nines_evm_calldata_register_validator (&b, id), 0);
    s_expect_buf ("call_register_validator", &b);
    CHECK_RC (nines_evm_calldata_register_pod (&b, pod, id, 1700000000000ull), 0);
    s_expect_buf ("call_register_pod", &b);
    CHECK_RC (nines_evm_calldata_claim (&b, 3, &s_down, NULL), 0);
    s_expect_buf ("call_claim_down", &b);
    CHECK_RC (nines_evm_calldata_claim (&b, 3, &s_down, &s_up), 0);
    s_expect_buf ("call_claim_down_up", &b);
    CHECK_RC (nines_evm_calldata_challenge_signature (&b, id, &s_down, &s_up, 1, 0), 0);
    s_expect_buf ("call_challenge_signature", &b);
    CHECK_RC (nines_evm_calldata_challenge_committee (&b, id, &s_down, NULL, 0, 2, 11), 0);
    s_expect_buf ("call_challenge_committee", &b);
    CHECK_RC (nines_evm_calldata_finalize (&b, id), 0);
    s_expect_buf ("call_finalize", &b);
    nines_evm_summary_t sm;
    CHECK_RC (nines_evm_summary (&sm, &s_down, &s_up), 0);
    s_expect ("evidence_down_up", sm.evidence, 32);
    s_expect ("report_id_down", sm.rid, 32);
    CHECK (sm.has_up && sm.t_down == s_down.t_ms && sm.t_up == s_up.t_ms);
    CHECK_MEM (sm.pod, s_down.pod, 32);
    CHECK_RC (nines_evm_calldata_account (&b, id, &sm), 0);
    s_expect_buf ("call_account", &b);
    CHECK_RC (nines_evm_summary (&sm, &s_down, NULL), 0);
    s_expect ("evidence_down", sm.evidence, 32);
    CHECK (!sm.has_up && sm.t_up == 0);
    nines_evm_report_id (h, &s_down);
    s_expect ("report_id_down", h, 32);
    nines_evm_claim_id (h, &s_down, 1);
    s_expect ("claim_id_down_up", h, 32);
    nines_evm_report_t many = s_down;
    many.n_votes = NINES_EVM_MAX_VOTES + 1;
    CHECK_RC (nines_evm_calldata_claim (&b, 3, &many, NULL), NINES_EINVAL);
    CHECK_EQ (b.len, 0);
}

/*  Two reports field by field. */
static void
s_same_report (const nines_evm_report_t *a, const nines_evm_report_t *b)
{
    CHECK (a->kind == b->kind && a->epoch == b->epoch && a->t_ms == b->t_ms);
    CHECK_MEM (a->pod, b->pod, 32);
    CHECK_MEM (a->round_id, b->round_id, 32);
    CHECK_EQ (a->n_committee, b->n_committee);
    CHECK_EQ (a->n_votes, b->n_votes);
    for (size_t i = 0; i < a->n_committee && i < b->n_committee; i++)
        CHECK_EQ (a->committee [i], b->committee [i]);
    for (size_t i = 0; i < a->n_votes && i < b->n_votes; i++) {
        CHECK_EQ (a->votes [i].member, b->votes [i].member);
        CHECK_EQ (a->votes [i].body_len, b->votes [i].body_len);
        CHECK_MEM (a->votes [i].body, b->votes [i].body, a->votes [i].body_len);
        CHECK_MEM (a->votes [i].r, b->votes [i].r, 32);
        CHECK_MEM (a->votes [i].s, b->votes [i].s, 32);
    }
}

/*  A claim's calldata decoded (what a watcher reads of another's claim):
    cast's bytes back to the reports, and every truncation and one-byte
    change of them either refused or decoded within bounds. */
static void
test_decode_claim (void)
{
    const char *names [] = { "call_claim_down_up", "call_claim_down" };
    for (int k = 0; k < 2; k++) {
        int i = s_find (names [k]);
        if (i < 0)
            continue;
        size_t n;
        uint8_t *cd = s_unhex (s_vec [i].out, &n);
        static nines_evm_report_buf_t down, up;
        const nines_evm_report_t *upp = NULL;
        uint32_t who = 0;
        CHECK_RC (nines_evm_decode_claim (cd, n, &who, &down, &up, &upp), 0);
        CHECK_EQ (who, 3);
        s_same_report (&down.report, &s_down);
        CHECK ((upp != NULL) == (k == 0));
        if (upp)
            s_same_report (upp, &s_up);
        nines_buf_t b = { 0 };
        CHECK_RC (nines_evm_calldata_claim (&b, who, &down.report, upp), 0);
        s_expect_buf (names [k], &b);
        /* truncations: refused, but for the last body's zero padding
           (the bytes are all there; Solidity does not read it either) */
        int refused = 0;
        for (size_t cut = 0; cut + 32 <= n; cut++)
            refused += nines_evm_decode_claim (cd, cut, &who, &down, &up, &upp) != 0;
        CHECK_EQ (refused, n - 31);
        /* one-byte changes: refused or decoded, never out of bounds (ASan) */
        int ok = 0;
        for (size_t at = 4; at < n; at++) {
            uint8_t keep = cd [at];
            cd [at] ^= 0x80;
            if (nines_evm_decode_claim (cd, n, &who, &down, &up, &upp) == 0) {
                ok++;
                for (size_t v = 0; v < down.report.n_votes; v++)
                    CHECK (down.votes [v].body >= cd && down.votes [v].body + down.votes [v].body_len <= cd + n);
            }
            cd [at] = keep;
        }
        CHECK (ok > 0 && (size_t) ok < n);
        /* an offset past the end; another function's calldata */
        cd [4 + 32 + 30] = 0xff;
        CHECK_RC (nines_evm_decode_claim (cd, n, &who, &down, &up, &upp), NINES_EMALFORMED);
        cd [0] ^= 1;
        CHECK_RC (nines_evm_decode_claim (cd, n, &who, &down, &up, &upp), NINES_EINVAL);
        free (cd);
    }
}

static void
s_key (nines_chainkey_t *k, const char *vec_key)
{
    uint8_t secret [32];
    CHECK_RC (nines_unhex (secret, 32, vec_key + 2), 0);
    CHECK_RC (nines_chainkey_from_secret (k, secret), 0);
}

/*  The value of option opt in vector i's command ("--nonce 5"), or NULL. */
static const char *
s_opt (int i, const char *opt, char *out, size_t cap)
{
    const char *p = strstr (s_vec [i].cmd, opt);
    if (!p)
        return NULL;
    p += strlen (opt) + 1;
    size_t n = strcspn (p, " ");
    snprintf (out, cap, "%.*s", (int) (n < cap ? n : cap - 1), p);
    return out;
}

static void
test_addresses (void)
{
    char text [NINES_ADDRESS_TEXT], opt [128];
    const char *names [] = { "address_k0", "address_k1", "address_k2", "address_kmax" };
    for (size_t j = 0; j < 4; j++) {
        int i = s_find (names [j]);
        if (i < 0)
            continue;
        nines_chainkey_t k;
        s_key (&k, s_opt (i, "--private-key", opt, sizeof opt));
        CHECK_STR (nines_evm_checksum (text, k.address), s_vec [i].out);
    }
    for (int i = 0; i < s_nvec; i++) {
        if (strncmp (s_vec [i].name, "checksum_", 9) != 0)
            continue;
        uint8_t a [20], a2 [20];
        CHECK_RC (nines_evm_parse_address (a, s_last_word (i)), 0);
        CHECK_STR (nines_evm_checksum (text, a), s_vec [i].out);
        CHECK_RC (nines_evm_parse_address (a2, s_vec [i].out), 0);
        CHECK_MEM (a, a2, 20);
    }
    /* a checksum with one letter's case flipped is refused */
    uint8_t a [20];
    char bad [] = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    bad [3] = 'A';
    CHECK_RC (nines_evm_parse_address (a, bad), NINES_EBADSIG);
    CHECK_RC (nines_evm_parse_address (a, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae"), NINES_EINVAL);
    CHECK_RC (nines_evm_parse_address (a, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg"), NINES_EINVAL);
    /* invalid secrets: 0 and the group order n */
    nines_chainkey_t k;
    uint8_t zero [32] = { 0 }, n [32];
    CHECK_RC (nines_unhex (n, 32, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"), 0);
    CHECK_RC (nines_chainkey_from_secret (&k, zero), NINES_EINVAL);
    CHECK_RC (nines_chainkey_from_secret (&k, n), NINES_EINVAL);
}

/*  A transaction from vector i's cast mktx options. */
static void
s_tx_of (int i, nines_tx_t *tx, nines_chainkey_t *k)
{
    char opt [128];
    memset (tx, 0, sizeof *tx);
    tx->chain_id = 31337;
    s_key (k, s_opt (i, "--private-key", opt, sizeof opt));
    tx->nonce = strtoull (s_opt (i, "--nonce", opt, sizeof opt), NULL, 10);
    tx->gas_limit = strtoull (s_opt (i, "--gas-limit", opt, sizeof opt), NULL, 10);
    tx->max_priority_fee = strtoull (s_opt (i, "--priority-gas-price", opt, sizeof opt), NULL, 10);
    tx->max_fee = strtoull (s_opt (i, "--gas-price", opt, sizeof opt), NULL, 10);
    const char *v = s_opt (i, "--value", opt, sizeof opt);
    if (strncmp (v, "0x", 2) == 0) {
        char pad [65];
        size_t n = strlen (v + 2);
        memset (pad, '0', 64 - n);
        memcpy (pad + 64 - n, v + 2, n + 1);
        CHECK_RC (nines_unhex (tx->value, 32, pad), 0);
    } else
        nines_u256_from_u64 (tx->value, strtoull (v, NULL, 10));
    tx->create = strstr (s_vec [i].cmd, "--create") != NULL;
    if (!tx->create)
        CHECK_RC (nines_evm_parse_address (tx->to, "0x5FbDB2315678afecb367f032d93F642f64180aa3"), 0);
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
s_tx_check (const char *name, const nines_tx_t *tx, const nines_chainkey_t *k)
{
    nines_buf_t raw = { 0 };
    uint8_t hash [32], h2 [32], sh [32], got [20];
    CHECK_RC (nines_tx_sign (tx, k, &raw, hash), 0);
    nines_keccak256 (h2, raw.data, raw.len);
    CHECK_MEM (hash, h2, 32);
    /* the signature recovers to the key's address: r, s are the last
       two 33-byte items (0xa0 + 32 bytes) when neither has a leading 0 */
    CHECK_RC (nines_tx_signing_hash (tx, sh), 0);
    if (raw.len > 66 && raw.data [raw.len - 66] == 0xa0 && raw.data [raw.len - 33] == 0xa0) {
        int yp = raw.data [raw.len - 67] == 0x01;
        CHECK_RC (nines_tx_recover (sh, yp, raw.data + raw.len - 65, raw.data + raw.len - 32, got), 0);
        CHECK_MEM (got, k->address, 20);
    }
    s_expect_buf (name, &raw);
}

static void
test_tx (void)
{
    nines_tx_t tx;
    nines_chainkey_t k;
    nines_buf_t data = { 0 };
    uint8_t id [32];
    s_fill (id, 0xcc, 32);
    int i = s_find ("tx_register");
    if (i >= 0) {
        s_tx_of (i, &tx, &k);
        nines_evm_calldata_register_validator (&data, id);
        tx.data = data.data;
        tx.data_len = data.len;
        s_tx_check ("tx_register", &tx, &k);
        /* timing: sign (hash + recoverable ECDSA + RLP) */
        int reps = 2000;
        nines_buf_t raw = { 0 };
        double t0 = s_now ();
        for (int r = 0; r < reps; r++) {
            raw.len = 0;
            tx.nonce = (uint64_t) r;
            CHECK (nines_tx_sign (&tx, &k, &raw, NULL) == 0 || !"sign");
        }
        t_checks -= reps - 1;
        fprintf (stderr, "sign EIP-1559 tx (%zu bytes calldata): %.1f us\n", data.len,
                 (s_now () - t0) / reps * 1e6);
        nines_buf_free (&raw);
        nines_buf_free (&data);
    }
    if ((i = s_find ("tx_nonce0_value")) >= 0) {
        s_tx_of (i, &tx, &k);
        s_tx_check ("tx_nonce0_value", &tx, &k);
    }
    if ((i = s_find ("tx_big_fees")) >= 0) {
        s_tx_of (i, &tx, &k);
        s_tx_check ("tx_big_fees", &tx, &k);
    }
    if ((i = s_find ("tx_claim")) >= 0) {
        s_tx_of (i, &tx, &k);
        nines_evm_calldata_claim (&data, 3, &s_down, &s_up);
        tx.data = data.data;
        tx.data_len = data.len;
        s_tx_check ("tx_claim", &tx, &k);
        nines_buf_free (&data);
    }
    if ((i = s_find ("tx_create")) >= 0) {
        s_tx_of (i, &tx, &k);
        size_t n;
        uint8_t *code = s_unhex (s_last_word (i), &n);
        tx.data = code;
        tx.data_len = n;
        s_tx_check ("tx_create", &tx, &k);
        free (code);
    }
}

static void
test_keyfile (void)
{
    char dir [] = "/tmp/nines-evm-XXXXXX", path [128];
    CHECK (mkdtemp (dir) != NULL);
    snprintf (path, sizeof path, "%s/chain.key", dir);
    nines_chainkey_t k, k2;
    CHECK_RC (nines_chainkey_load (path, &k), NINES_ENOTFOUND);
    CHECK_RC (nines_chainkey_generate (&k), 0);
    CHECK_RC (nines_chainkey_save (path, &k), 0);
    CHECK_RC (nines_chainkey_save (path, &k), NINES_EEXIST);
    struct stat st;
    CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_RC (nines_chainkey_load (path, &k2), 0);
    CHECK_MEM (k.secret, k2.secret, 32);
    CHECK_MEM (k.address, k2.address, 20);
    FILE *f = fopen (path, "r");
    char line [128] = "";
    CHECK (f && fgets (line, sizeof line, f));
    CHECK_STR (line, "nines-secp256k1-v1\n");
    if (f)
        fclose (f);
    chmod (path, 0640);
    CHECK_RC (nines_chainkey_load (path, &k2), NINES_EPERM);
    CHECK (k2.address [0] == 0 && k2.secret [0] == 0 && memcmp (k2.secret, k2.secret + 1, 31) == 0);
    chmod (path, 0600);
    /* bad contents: the Ed25519 header, a zero secret, trailing bytes */
    const char *bad [] = {
        "nines-ed25519-v1\n4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n",
        "nines-secp256k1-v1\n0000000000000000000000000000000000000000000000000000000000000000\n",
        "nines-secp256k1-v1\n4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\nx",
        "nines-secp256k1-v1\n4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231\n",
    };
    for (size_t j = 0; j < sizeof bad / sizeof bad [0]; j++) {
        f = fopen (path, "w");
        fputs (bad [j], f);
        fclose (f);
        CHECK_RC (nines_chainkey_load (path, &k2), NINES_EMALFORMED);
    }
    f = fopen (path, "w");
    fputs ("nines-secp256k1-v1\n4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n", f);
    fclose (f);
    CHECK_RC (nines_chainkey_load (path, &k2), 0);
    char text [NINES_ADDRESS_TEXT];
    CHECK_STR (nines_evm_checksum (text, k2.address), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    unlink (path);
    rmdir (dir);
}

/*  Re-run each vector's cast command: cast must still print the output. */
static void
test_cast_live (void)
{
    const char *root = getenv ("NINES_SOURCE_ROOT"), *skip = getenv ("NINES_EVM_NO_CAST");
    char bin [1024];
    snprintf (bin, sizeof bin, "%s/contracts/node_modules/.bin", root ? root : ".");
    char cast [1100];
    snprintf (cast, sizeof cast, "%s/cast", bin);
    if ((skip && *skip == '1') || access (cast, X_OK) != 0) {
        fprintf (stderr, "cast not run (%s): the committed vectors only\n",
                 skip && *skip == '1' ? "NINES_EVM_NO_CAST=1" : "no contracts/node_modules/.bin/cast");
        return;
    }
    int ran = 0;
    for (int i = 0; i < s_nvec; i++) {
        char *sh = NULL;
        if (asprintf (&sh, "PATH='%s':\"$PATH\"; %s", bin, s_vec [i].cmd) < 0)
            continue;
        FILE *p = popen (sh, "r");
        free (sh);
        char *out = NULL;
        size_t cap = 0;
        ssize_t n = p ? getdelim (&out, &cap, 0, p) : -1;
        int rc = p ? pclose (p) : -1;
        t_checks++;
        if (n <= 0 || rc != 0 || strcmp (s_trim (out), s_vec [i].out) != 0) {
            t_failures++;
            fprintf (stderr, "cast %s: printed %s\n  committed %s\n", s_vec [i].name,
                     out ? s_trim (out) : "(nothing)", s_vec [i].out);
        }
        ran++;
        free (out);
    }
    fprintf (stderr, "cast re-ran %d vectors\n", ran);
}

/*  A report of the project's types as the contract's: committee as
    contract indexes ascending, votes' positions in it, through an index
    map (the corpus test chain_corpus covers the registry order). */
static void
test_evidence_of (void)
{
    nines_registry_t *reg = nines_registry_new ();
    nines_validator_info_t v;
    for (int i = 0; i < 10; i++) {
        memset (&v, 0, sizeof v);
        memset (v.id, 0x10 * (i + 1), sizeof v.id);
        v.stake = 1000000;
        CHECK_RC (nines_registry_put_validator (reg, &v), 0);
    }
    uint32_t index [10];
    for (int i = 0; i < 10; i++)
        index [i] = (uint32_t) (9 - i) * 2 + 1;         /* registered in reverse, odd indexes */
    static nines_report_t r;
    memset (&r, 0, sizeof r);
    r.kind = 1;
    memset (r.pod, 0xee, 32);
    r.epoch = 3;
    r.t_ms = 1234;
    memset (r.round_id, 0x44, 32);
    const nines_validator_info_t *m [NINES_REPORT_MAX_VOTES];
    size_t n = nines_registry_committee (reg, r.pod, r.epoch, nines_registry_committee_size (reg), m, NULL);
    CHECK_EQ (n, 7);
    r.n_votes = 3;
    for (int k = 0; k < 3; k++) {                        /* members 0, 2 and 4 in rank order */
        memcpy (r.votes [k].body.validator, m [2 * k]->id, 32);
        r.votes [k].signed_len = (uint16_t) (10 + k);
        r.votes [k].signed_bytes [0] = (uint8_t) k;
        memset (r.votes [k].sig, 0x30 + k, 64);
        r.votes [k].sig [32] = 0x99;
    }
    nines_evm_report_buf_t b;
    CHECK_RC (nines_evm_report_of (&b, &r, reg, index), 0);
    CHECK_EQ (b.report.n_committee, 7);
    CHECK_EQ (b.report.n_votes, 3);
    for (size_t i = 1; i < b.report.n_committee; i++)
        CHECK (b.committee [i - 1] < b.committee [i]);
    for (int k = 0; k < 3; k++) {
        long at = nines_registry_validator_index (reg, m [2 * k]->id);
        CHECK (b.votes [k].member < 7 && b.committee [b.votes [k].member] == index [at]);
        CHECK (b.votes [k].body == r.votes [k].signed_bytes && b.votes [k].body_len == 10u + k);
        CHECK (b.votes [k].r [0] == 0x30 + k && b.votes [k].s [0] == 0x99 && b.votes [k].s [1] == 0x30 + k);
    }
    CHECK (b.report.kind == 1 && b.report.epoch == 3 && b.report.t_ms == 1234);
    CHECK_MEM (b.report.round_id, r.round_id, 32);
    /* a signer outside the committee: NINES_ENOTCOMMITTEE, member 255 */
    size_t outsider = 0;
    while (outsider < 10 && nines_registry_in_committee (reg, r.pod, r.epoch, reg->validators [outsider].id))
        outsider++;
    CHECK (outsider < 10);
    memcpy (r.votes [1].body.validator, reg->validators [outsider].id, 32);
    CHECK_RC (nines_evm_report_of (&b, &r, reg, index), NINES_ENOTCOMMITTEE);
    CHECK_EQ (b.votes [1].member, NINES_EVM_NO_MEMBER);
    CHECK (b.votes [0].member < 7 && b.votes [2].member < 7);
    nines_registry_destroy (&reg);
}

/*  The JSON-RPC error texts of geth and anvil, and quantity parsing. */
static void
test_rpc_pure (void)
{
    CHECK_RC (nines_rpc_classify (-32000, "transaction underpriced"), NINES_EUNDERPRICED);
    CHECK_RC (nines_rpc_classify (-32000, "replacement transaction underpriced"), NINES_EUNDERPRICED);
    CHECK_RC (nines_rpc_classify (-32003, "max fee per gas less than block base fee"), NINES_EUNDERPRICED);
    CHECK_RC (nines_rpc_classify (-32000, "nonce too low: next nonce 4, tx nonce 2"), NINES_EREPLAY);
    CHECK_RC (nines_rpc_classify (-32000, "already known"), NINES_EEXIST);
    CHECK_RC (nines_rpc_classify (3, "execution reverted: custom error 0x46d3938f"), NINES_EREVERTED);
    CHECK_RC (nines_rpc_classify (3, ""), NINES_EREVERTED);
    CHECK_RC (nines_rpc_classify (-32000, "insufficient funds for gas * price + value"), NINES_ERPC);
    CHECK_RC (nines_rpc_classify (-32601, NULL), NINES_ERPC);
    uint64_t v = 7;
    json_t *j;
    const char *ok [] = { "0x0", "0x1a", "0xffffffffffffffff", "0xABC" };
    const uint64_t want [] = { 0, 26, UINT64_MAX, 0xabc };
    for (int i = 0; i < 4; i++) {
        j = json_string (ok [i]);
        CHECK_RC (nines_rpc_quantity (j, &v), 0);
        CHECK (v == want [i]);
        json_decref (j);
    }
    const char *bad [] = { "0x", "12", "0xg", "" };
    for (int i = 0; i < 4; i++) {
        j = json_string (bad [i]);
        CHECK_RC (nines_rpc_quantity (j, &v), NINES_EMALFORMED);
        json_decref (j);
    }
    j = json_string ("0x10000000000000000");
    CHECK_RC (nines_rpc_quantity (j, &v), NINES_ETOOBIG);
    json_decref (j);
    CHECK_RC (nines_rpc_quantity (NULL, &v), NINES_EMALFORMED);
    nines_buf_t b = { 0 };
    j = json_string ("0x00ff10");
    CHECK_RC (nines_rpc_data (j, &b), 0);
    CHECK (b.len == 3 && b.data [1] == 0xff && b.data [2] == 0x10);
    json_decref (j);
    j = json_string ("0x0");
    CHECK_RC (nines_rpc_data (j, &b), NINES_EMALFORMED);
    json_decref (j);
    nines_buf_free (&b);
}

static void
test_keccak_speed (void)
{
    size_t n = 1 << 20;
    uint8_t *p = malloc (n), h [32];
    memset (p, 0x5a, n);
    double t0 = s_now ();
    int reps = 16;
    for (int r = 0; r < reps; r++)
        nines_keccak256 (h, p, n);
    double dt = s_now () - t0;
    fprintf (stderr, "keccak256: %.0f MB/s\n", reps * (double) n / dt / 1e6);
    CHECK (dt > 0);
    free (p);
}

int
main (void)
{
    s_load ();
    CHECK (s_nvec >= 40);
    RUN (test_keccak);
    RUN (test_rlp);
    RUN (test_abi);
    RUN (test_staking_calls);
    RUN (test_decode_claim);
    RUN (test_addresses);
    RUN (test_tx);
    RUN (test_keyfile);
    RUN (test_rpc_pure);
    RUN (test_evidence_of);
    RUN (test_keccak_speed);
    RUN (test_cast_live);
    for (int i = 0; i < s_nvec; i++) {
        free (s_vec [i].cmd);
        free (s_vec [i].out);
    }
    return t_done ("test_evm");
}
