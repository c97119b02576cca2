#include "test_ledger_fixture.h"
#include "client/ledger_client.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
lfx_init (lfx_t *f, size_t n_validators, size_t n_pods, size_t n_providers, uint32_t c)
{
    memset (f, 0, sizeof *f);
    nines_crypto_init ();
    f->reg = nines_registry_new ();
    nines_params_default (&f->reg->params);
    f->reg->params.committee = c;
    f->n_validators = n_validators;
    for (size_t i = 0; i < n_validators; i++) {
        uint8_t seed [32] = { 'v', (uint8_t) i, (uint8_t) (i >> 8) };
        nines_keypair_from_seed (&f->validator [i], seed);
        nines_validator_info_t v = { .stake = 1000000 };
        memcpy (v.id, f->validator [i].pk, NINES_ID_BYTES);
        snprintf (v.endpoint, sizeof v.endpoint, "tcp://127.0.0.1:%zu", 17000 + i);
        nines_registry_put_validator (f->reg, &v);
    }
    f->n_providers = n_providers;
    for (size_t i = 0; i < n_providers; i++) {
        uint8_t seed [32] = { 'p', (uint8_t) i };
        nines_keypair_from_seed (&f->provider [i], seed);
    }
    f->n_pods = n_pods;
    nines_pod_info_t *p = calloc (1, sizeof *p);
    for (size_t i = 0; i < n_pods; i++) {
        memset (p, 0, sizeof *p);
        uint8_t seed [32] = { 'd', (uint8_t) i };
        nines_keypair_t k;
        nines_keypair_from_seed (&k, seed);
        memcpy (f->pod [i], k.pk, NINES_ID_BYTES);
        memcpy (p->pod, k.pk, NINES_ID_BYTES);
        memcpy (p->provider, f->provider [i % n_providers].pk, NINES_ID_BYTES);
        snprintf (p->facade_url, sizeof p->facade_url, "https://127.0.0.1:%zu/", 18000 + i);
        p->n_facade_keys = 1;
        memcpy (p->facade_keys [0], k.pk, NINES_ID_BYTES);
        p->n_spki_pins = 1;                 /* no TLS here: one all-zero pin */
        p->stake = 1000000;
        strcpy (p->method, "GET");
        strcpy (p->path, "/");
        nines_registry_put_pod (f->reg, p);
    }
    free (p);
}

void
lfx_fini (lfx_t *f)
{
    nines_registry_destroy (&f->reg);
}

const nines_keypair_t *
lfx_key (lfx_t *f, const uint8_t id [NINES_ID_BYTES])
{
    for (size_t i = 0; i < f->n_validators; i++)
        if (memcmp (f->validator [i].pk, id, NINES_ID_BYTES) == 0)
            return &f->validator [i];
    return NULL;
}

void
lfx_report (lfx_t *f, nines_report_t *r, int kind, const uint8_t pod [NINES_ID_BYTES], uint64_t t_ms,
            size_t n_votes)
{
    const nines_params_t *p = &f->reg->params;
    memset (r, 0, sizeof *r);
    r->kind = (uint8_t) kind;
    memcpy (r->pod, pod, NINES_ID_BYTES);
    r->epoch = nines_epoch_of (t_ms, p->genesis_ms, p->epoch_ms);
    r->t_ms = t_ms;
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    size_t n = nines_registry_committee (f->reg, pod, r->epoch, p->committee, members, NULL);
    uint8_t nonce [16] = { (uint8_t) kind };
    memcpy (nonce + 8, &t_ms, 8);
    nines_round_id (r->round_id, pod, r->epoch, members [0]->id, nonce);
    for (size_t i = 0; i < n_votes && i < n; i++) {
        nines_vote_t *v = &r->votes [r->n_votes++];
        memcpy (v->body.round_id, r->round_id, NINES_HASH_BYTES);
        memcpy (v->body.pod, pod, NINES_ID_BYTES);
        v->body.epoch = r->epoch;
        memcpy (v->body.validator, members [i]->id, NINES_ID_BYTES);
        v->body.verdict = kind == NINES_REPORT_DOWN ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;
        v->body.outcome = kind == NINES_REPORT_DOWN ? NINES_OUTCOME_TIMEOUT : NINES_OUTCOME_OK;
        v->body.t_ms = t_ms;
        nines_vote_sign (v, lfx_key (f, members [i]->id));
    }
}

void
lfx_evidence (lfx_t *f, nines_evidence_t *ev, size_t pod, uint64_t t_down, uint64_t t_up)
{
    memset (ev, 0, sizeof *ev);
    memcpy (ev->pod, f->pod [pod], NINES_ID_BYTES);
    lfx_report (f, &ev->down, NINES_REPORT_DOWN, f->pod [pod], t_down, f->reg->params.committee);
    if (t_up) {
        ev->has_up = true;
        lfx_report (f, &ev->up, NINES_REPORT_UP, f->pod [pod], t_up, f->reg->params.committee);
    }
}

uint8_t *
lfx_submit_req (lfx_t *f, const nines_evidence_t *ev, size_t *len)
{
    uint8_t *out = NULL;
    if (nines_ledger_req_submit_evidence (ev, f->validator [0].pk, &out, len))
        return NULL;
    return out;
}
