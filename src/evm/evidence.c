#include "evm/evidence.h"
#include "crypto/crypto.h"
#include <msgpack.h>
#include <string.h>

int
nines_evm_report_of (nines_evm_report_buf_t *out, const nines_report_t *r,
                     const nines_registry_t *reg, const uint32_t *index)
{
    memset (out, 0, sizeof *out);
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    size_t n = nines_registry_committee (reg, r->pod, r->epoch, nines_registry_committee_size (reg),
                                         members, NULL);
    for (size_t i = 0; i < n; i++) {
        long at = nines_registry_validator_index (reg, members [i]->id);
        out->committee [i] = at < 0 ? UINT32_MAX : index ? index [at] : (uint32_t) at;
    }
    for (size_t i = 1; i < n; i++)                  /* ascending: insertion sort, n <= 64 */
        for (size_t j = i; j > 0 && out->committee [j - 1] > out->committee [j]; j--) {
            uint32_t t = out->committee [j];
            out->committee [j] = out->committee [j - 1];
            out->committee [j - 1] = t;
        }
    int rc = NINES_OK;
    size_t nv = r->n_votes <= NINES_REPORT_MAX_VOTES ? r->n_votes : NINES_REPORT_MAX_VOTES;
    for (size_t v = 0; v < nv; v++) {
        const nines_vote_t *vote = &r->votes [v];
        nines_evm_vote_t *o = &out->votes [v];
        long who = nines_registry_validator_index (reg, vote->body.validator);
        uint32_t ci = who < 0 ? UINT32_MAX : index ? index [who] : (uint32_t) who;
        o->member = NINES_EVM_NO_MEMBER;
        for (size_t i = 0; who >= 0 && i < n; i++)
            if (out->committee [i] == ci)
                o->member = (uint8_t) i;
        if (o->member == NINES_EVM_NO_MEMBER)
            rc = NINES_ENOTCOMMITTEE;
        o->body = vote->signed_bytes;
        o->body_len = vote->signed_len;
        memcpy (o->r, vote->sig, 32);
        memcpy (o->s, vote->sig + 32, 32);
    }
    nines_evm_report_t *rep = &out->report;
    rep->kind = r->kind;
    memcpy (rep->pod, r->pod, 32);
    rep->epoch = r->epoch;
    memcpy (rep->round_id, r->round_id, 32);
    rep->t_ms = r->t_ms;
    rep->committee = out->committee;
    rep->n_committee = n;
    rep->votes = out->votes;
    rep->n_votes = nv;
    return rc;
}

int
nines_evm_evidence_of (nines_evm_report_buf_t *down, nines_evm_report_buf_t *up_buf,
                       const nines_evm_report_t **up, const nines_evidence_t *ev,
                       const nines_registry_t *reg, const uint32_t *index)
{
    int rc = nines_evm_report_of (down, &ev->down, reg, index);
    *up = NULL;
    if (ev->has_up) {
        int urc = nines_evm_report_of (up_buf, &ev->up, reg, index);
        *up = &up_buf->report;
        if (!rc)
            rc = urc;
    }
    return rc;
}

int
nines_evm_report_wire (const nines_evm_report_t *r, nines_report_t *out)
{
    if (r->n_votes > NINES_REPORT_MAX_VOTES)
        return NINES_ETOOBIG;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    msgpack_pack_array (&pk, 6);
    msgpack_pack_uint64 (&pk, r->kind);
    msgpack_pack_bin (&pk, 32);
    msgpack_pack_bin_body (&pk, r->pod, 32);
    msgpack_pack_uint64 (&pk, r->epoch);
    msgpack_pack_bin (&pk, 32);
    msgpack_pack_bin_body (&pk, r->round_id, 32);
    msgpack_pack_uint64 (&pk, r->t_ms);
    msgpack_pack_array (&pk, (uint32_t) r->n_votes);
    for (size_t v = 0; v < r->n_votes; v++) {
        msgpack_pack_array (&pk, 2);
        msgpack_pack_bin (&pk, r->votes [v].body_len);
        msgpack_pack_bin_body (&pk, r->votes [v].body, r->votes [v].body_len);
        msgpack_pack_bin (&pk, NINES_SIG_BYTES);
        msgpack_pack_bin_body (&pk, r->votes [v].r, 32);
        msgpack_pack_bin_body (&pk, r->votes [v].s, 32);
    }
    int rc = sb.data ? nines_report_decode ((const uint8_t *) sb.data, sb.size, out) : NINES_ENOMEM;
    msgpack_sbuffer_destroy (&sb);
    return rc;
}

int
nines_evm_report_fraud (const nines_evm_report_t *r, const uint8_t (*ids) [32], size_t n,
                        size_t *vote)
{
    for (size_t v = 0; v < r->n_votes; v++) {
        const nines_evm_vote_t *x = &r->votes [v];
        if (x->member >= r->n_committee || r->committee [x->member] >= n)
            return NINES_EUNKNOWN;
        uint8_t sig [NINES_SIG_BYTES];
        memcpy (sig, x->r, 32);
        memcpy (sig + 32, x->s, 32);
        if (nines_verify (ids [r->committee [x->member]], NINES_DOMAIN_VOTE, x->body, x->body_len, sig)) {
            *vote = v;
            return NINES_EBADSIG;
        }
    }
    return NINES_OK;
}
