#include "evm/calldata.h"
#include "evm/abi.h"
#include <string.h>

/*  The word at data [at .. at + 32) as an integer of at most max.
    0 or NINES_EMALFORMED. */
static int
s_uint (const uint8_t *data, size_t len, size_t at, uint64_t max, uint64_t *v)
{
    if (at > len || len - at < 32)
        return NINES_EMALFORMED;
    uint64_t x;
    if (nines_abi_get_uint (data + at, 32, 0, &x) || x > max)
        return NINES_EMALFORMED;
    *v = x;
    return NINES_OK;
}

/*  The word at data [at] as an offset added to base: the target, checked
    to leave room for one word.  0 or NINES_EMALFORMED. */
static int
s_offset (const uint8_t *data, size_t len, size_t at, size_t base, size_t *target)
{
    uint64_t off;
    if (s_uint (data, len, at, len, &off) || base > len || off > len - base || len - base - off < 32)
        return NINES_EMALFORMED;
    *target = base + (size_t) off;
    return NINES_OK;
}

static int
s_word (const uint8_t *data, size_t len, size_t at, uint8_t out [32])
{
    if (at > len || len - at < 32)
        return NINES_EMALFORMED;
    memcpy (out, data + at, 32);
    return NINES_OK;
}

/*  One Vote tuple at data [at]. */
static int
s_vote (const uint8_t *data, size_t len, size_t at, nines_evm_vote_t *v)
{
    uint64_t member, blen;
    size_t body;
    if (s_uint (data, len, at, 255, &member) || s_offset (data, len, at + 32, at, &body)
    ||  s_word (data, len, at + 64, v->r) || s_word (data, len, at + 96, v->s)
    ||  s_uint (data, len, body, NINES_VOTE_SIGNED_MAX, &blen) || blen > len - body - 32)
        return NINES_EMALFORMED;
    v->member = (uint8_t) member;
    v->body = data + body + 32;
    v->body_len = (size_t) blen;
    return NINES_OK;
}

int
nines_evm_decode_report (const uint8_t *data, size_t len, size_t at, nines_evm_report_buf_t *out)
{
    memset (out, 0, sizeof *out);
    nines_evm_report_t *r = &out->report;
    uint64_t kind, n, nv, x;
    size_t com, votes;
    if (s_uint (data, len, at, 255, &kind) || s_word (data, len, at + 32, r->pod)
    ||  s_uint (data, len, at + 64, UINT64_MAX, &r->epoch) || s_word (data, len, at + 96, r->round_id)
    ||  s_uint (data, len, at + 128, UINT64_MAX, &r->t_ms)
    ||  s_offset (data, len, at + 160, at, &com) || s_offset (data, len, at + 192, at, &votes)
    ||  s_uint (data, len, com, NINES_REPORT_MAX_VOTES, &n)
    ||  s_uint (data, len, votes, NINES_REPORT_MAX_VOTES, &nv))
        return NINES_EMALFORMED;
    r->kind = (uint8_t) kind;
    for (size_t i = 0; i < n; i++) {
        if (s_uint (data, len, com + 32 + 32 * i, UINT32_MAX, &x))
            return NINES_EMALFORMED;
        out->committee [i] = (uint32_t) x;
    }
    size_t items = votes + 32;                  /* offsets of T[] items count from here */
    for (size_t i = 0; i < nv; i++) {
        size_t v;
        if (s_offset (data, len, items + 32 * i, items, &v) || s_vote (data, len, v, &out->votes [i]))
            return NINES_EMALFORMED;
    }
    r->committee = out->committee;
    r->n_committee = (size_t) n;
    r->votes = out->votes;
    r->n_votes = (size_t) nv;
    return NINES_OK;
}

int
nines_evm_decode_claim (const uint8_t *calldata, size_t len, uint32_t *claimant,
                        nines_evm_report_buf_t *down, nines_evm_report_buf_t *up_buf,
                        const nines_evm_report_t **up)
{
    *up = NULL;
    uint8_t sel [4];
    nines_abi_selector (sel, "claim(uint32," NINES_EVM_REPORT_T "," NINES_EVM_REPORT_T "[])");
    if (len < 4 || memcmp (calldata, sel, 4) != 0)
        return NINES_EINVAL;
    const uint8_t *d = calldata + 4;
    size_t n = len - 4, at_down, at_up, at_item;
    uint64_t who, nup;
    if (s_uint (d, n, 0, UINT32_MAX, &who) || s_offset (d, n, 32, 0, &at_down)
    ||  s_offset (d, n, 64, 0, &at_up) || s_uint (d, n, at_up, 1, &nup)
    ||  nines_evm_decode_report (d, n, at_down, down))
        return NINES_EMALFORMED;
    *claimant = (uint32_t) who;
    if (nup == 1) {
        if (s_offset (d, n, at_up + 32, at_up + 32, &at_item) || nines_evm_decode_report (d, n, at_item, up_buf))
            return NINES_EMALFORMED;
        *up = &up_buf->report;
    }
    return NINES_OK;
}
