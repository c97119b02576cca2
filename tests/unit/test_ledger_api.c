/*  Ledger API helpers: signed-message domains, replay field, builders. */
#include "client/ledger_client.h"
#include "testutil.h"

static void
t_sign_verify (void)
{
    nines_keypair_t kp, other;
    uint8_t seed [32] = { 1 };
    CHECK_RC (nines_keypair_from_seed (&kp, seed), 0);
    seed [0] = 2;
    CHECK_RC (nines_keypair_from_seed (&other, seed), 0);
    uint8_t pod [32] = { 7 }, body [NINES_PAID_BODY_BYTES], sig [64];
    nines_ledger_paid_body (body, pod, 12345);
    CHECK_RC (nines_ledger_sign (&kp, NINES_DOMAIN_PAID_UNTIL, 99, body, sizeof body, sig), 0);
    CHECK_RC (nines_ledger_verify (kp.pk, NINES_DOMAIN_PAID_UNTIL, 99, body, sizeof body, sig), 0);
    /* another domain, another t_ms, another signer: all refused */
    CHECK_RC (nines_ledger_verify (kp.pk, NINES_DOMAIN_MAINTENANCE, 99, body, sizeof body, sig), NINES_EBADSIG);
    CHECK_RC (nines_ledger_verify (kp.pk, NINES_DOMAIN_PAID_UNTIL, 100, body, sizeof body, sig), NINES_EBADSIG);
    CHECK_RC (nines_ledger_verify (other.pk, NINES_DOMAIN_PAID_UNTIL, 99, body, sizeof body, sig), NINES_EBADSIG);
    CHECK_RC (nines_ledger_sign (&kp, NINES_DOMAIN_PAID_UNTIL, 1, body, NINES_LEDGER_BODY_MAX + 1, sig), NINES_ETOOBIG);
}

static void
t_builders (void)
{
    nines_keypair_t kp;
    uint8_t seed [32] = { 3 };
    CHECK_RC (nines_keypair_from_seed (&kp, seed), 0);
    nines_validator_info_t v = { .stake = 5000 };
    memcpy (v.id, kp.pk, 32);
    strcpy (v.endpoint, "tcp://127.0.0.1:7410");
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK_RC (nines_ledger_req_register_validator (&kp, &v, 10, &out, &len), 0);
    nines_query_t *q = NULL;
    CHECK_RC (nines_query_parse (out, len, &q), 0);
    if (q) {
        CHECK_STR (nines_query_op (q), NINES_LEDGER_OP_REG_VALIDATOR);
        const uint8_t *info;
        size_t ilen;
        uint8_t sig [64];
        uint64_t t = 0;
        CHECK_RC (nines_query_blob (q, "info", &info, &ilen), 0);
        CHECK_RC (nines_query_bin (q, "sig", sig, 64), 0);
        CHECK_RC (nines_query_u64 (q, "t_ms", &t), 0);
        CHECK_EQ (t, 10);
        CHECK_RC (nines_ledger_verify (kp.pk, NINES_DOMAIN_REG_VALIDATOR, t, info, ilen, sig), 0);
        CHECK_RC (nines_ledger_verify (kp.pk, NINES_DOMAIN_REG_POD, t, info, ilen, sig), NINES_EBADSIG);
        nines_query_destroy (&q);
    }
    free (out);
    /* a key that is not the entry's owner cannot build the request */
    v.id [0] ^= 1;
    CHECK_RC (nines_ledger_req_register_validator (&kp, &v, 10, &out, &len), NINES_EINVAL);
    nines_pod_info_t *p = calloc (1, sizeof *p);
    memcpy (p->provider, kp.pk, 32);
    p->n_facade_keys = p->n_spki_pins = 1;
    CHECK_RC (nines_ledger_req_register_pod (&kp, p, 11, &out, &len), 0);
    free (out);
    p->provider [1] ^= 1;
    CHECK_RC (nines_ledger_req_register_pod (&kp, p, 11, &out, &len), NINES_EINVAL);
    free (p);
    CHECK_RC (nines_ledger_req_simple (NINES_LEDGER_OP_PODS, NULL, &out, &len), 0);
    free (out);
}

static void
t_parse_bad (void)
{
    uint8_t junk [3] = { 0xc1, 0, 0 };
    nines_registry_t *reg = NULL;
    CHECK_RC (nines_ledger_parse_registry (junk, sizeof junk, &reg, NULL), NINES_EMALFORMED);
    CHECK (reg == NULL);
    uint8_t *err = NULL;
    size_t len = 0;
    CHECK_RC (nines_reply_error ("nope", &err, &len), 0);
    char verdict [16], reason [32];
    uint8_t id [32];
    CHECK_RC (nines_ledger_parse_ack (err, len, id, verdict, sizeof verdict, reason, sizeof reason), NINES_ESTATE);
    CHECK_STR (reason, "nope");
    CHECK_RC (nines_ledger_parse_registry (err, len, &reg, NULL), NINES_ESTATE);
    free (err);
}

int
main (void)
{
    CHECK_RC (nines_crypto_init (), 0);
    RUN (t_sign_verify);
    RUN (t_builders);
    RUN (t_parse_bad);
    return t_done ("ledger_api");
}
