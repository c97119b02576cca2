/*  Heartbeat header codec: see heartbeat.h and proto/PROTOCOL.md. */
#include "wire/heartbeat.h"
#include <string.h>

#define PREFIX "v1."
#define PREFIX_LEN 3

static void
s_le16 (uint8_t *out, uint16_t v) { out [0] = (uint8_t) v; out [1] = (uint8_t) (v >> 8); }

static void
s_le32 (uint8_t *out, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        out [i] = (uint8_t) (v >> (8 * i));
}

static uint64_t
s_get_le (const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p [i];
    return v;
}

/*  The bytes the request signature covers (after the domain). */
static void
s_req_signed (uint8_t out [32 + NINES_NONCE_BYTES + 8], const uint8_t pod [32],
              const uint8_t nonce [NINES_NONCE_BYTES], uint64_t t_ms)
{
    memcpy (out, pod, 32);
    memcpy (out + 32, nonce, NINES_NONCE_BYTES);
    nines_le64 (out + 32 + NINES_NONCE_BYTES, t_ms);
}

/*  The bytes the response signature covers (after the domain). */
static void
s_resp_signed (uint8_t out [32 + NINES_NONCE_BYTES + 8 + 6], const uint8_t pod [32],
               const uint8_t nonce [NINES_NONCE_BYTES], uint64_t t_ms,
               uint16_t app_status, uint32_t app_latency_us)
{
    s_req_signed (out, pod, nonce, t_ms);
    s_le16 (out + 56, app_status);
    s_le32 (out + 58, app_latency_us);
}

static int
s_write (char *out, size_t out_size, const uint8_t *raw, size_t len)
{
    if (out_size < PREFIX_LEN + nines_b64url_len (len))
        return NINES_EINVAL;
    memcpy (out, PREFIX, PREFIX_LEN);
    nines_b64url (out + PREFIX_LEN, out_size - PREFIX_LEN, raw, len);
    return NINES_OK;
}

/*  Strip "v1." and decode exactly want raw bytes. */
static int
s_read (const char *value, size_t len, uint8_t *raw, size_t want)
{
    if (!value || len < PREFIX_LEN)
        return NINES_EMALFORMED;
    if (memcmp (value, PREFIX, PREFIX_LEN) != 0)
        return value [0] == 'v' ? NINES_EVERSION : NINES_EMALFORMED;
    if (len - PREFIX_LEN > nines_b64url_len (want))
        return NINES_ETOOBIG;
    size_t got = 0;
    int rc = nines_unb64url (raw, want, &got, value + PREFIX_LEN, len - PREFIX_LEN);
    if (rc)
        return rc;
    return got == want ? NINES_OK : NINES_EMALFORMED;
}

int
nines_hb_req_make (const nines_keypair_t *validator, const uint8_t pod [NINES_ID_BYTES],
                   const uint8_t *nonce, uint64_t t_ms, nines_hb_req_t *req,
                   char *out, size_t out_size)
{
    nines_hb_req_t local;
    if (!req)
        req = &local;
    memcpy (req->validator, validator->pk, NINES_ID_BYTES);
    memcpy (req->pod, pod, NINES_ID_BYTES);
    if (nonce)
        memcpy (req->nonce, nonce, NINES_NONCE_BYTES);
    else
        nines_random (req->nonce, NINES_NONCE_BYTES);
    req->t_ms = t_ms;
    uint8_t msg [56];
    s_req_signed (msg, pod, req->nonce, t_ms);
    int rc = nines_sign (validator, NINES_DOMAIN_HB_REQ, msg, sizeof msg, req->sig);
    if (rc)
        return rc;
    uint8_t raw [NINES_HB_REQ_RAW];
    memcpy (raw, req->validator, 32);
    memcpy (raw + 32, req->pod, 32);
    memcpy (raw + 64, req->nonce, NINES_NONCE_BYTES);
    nines_le64 (raw + 80, t_ms);
    memcpy (raw + 88, req->sig, NINES_SIG_BYTES);
    return s_write (out, out_size, raw, sizeof raw);
}

int
nines_hb_req_parse (const char *value, size_t len, nines_hb_req_t *req)
{
    uint8_t raw [NINES_HB_REQ_RAW];
    int rc = s_read (value, len, raw, sizeof raw);
    if (rc)
        return rc;
    memcpy (req->validator, raw, 32);
    memcpy (req->pod, raw + 32, 32);
    memcpy (req->nonce, raw + 64, NINES_NONCE_BYTES);
    req->t_ms = s_get_le (raw + 80, 8);
    memcpy (req->sig, raw + 88, NINES_SIG_BYTES);
    return NINES_OK;
}

int
nines_hb_req_verify (const nines_hb_req_t *req)
{
    uint8_t msg [56];
    s_req_signed (msg, req->pod, req->nonce, req->t_ms);
    return nines_verify (req->validator, NINES_DOMAIN_HB_REQ, msg, sizeof msg, req->sig);
}

int
nines_hb_resp_make (const nines_keypair_t *facade, const nines_hb_req_t *req,
                    uint16_t app_status, uint32_t app_latency_us,
                    nines_hb_resp_t *resp, char *out, size_t out_size)
{
    nines_hb_resp_t local;
    if (!resp)
        resp = &local;
    resp->app_status = app_status;
    resp->app_latency_us = app_latency_us;
    uint8_t msg [62];
    s_resp_signed (msg, req->pod, req->nonce, req->t_ms, app_status, app_latency_us);
    int rc = nines_sign (facade, NINES_DOMAIN_HB_RESP, msg, sizeof msg, resp->sig);
    if (rc)
        return rc;
    uint8_t raw [NINES_HB_RESP_RAW];
    s_le16 (raw, app_status);
    s_le32 (raw + 2, app_latency_us);
    memcpy (raw + 6, resp->sig, NINES_SIG_BYTES);
    return s_write (out, out_size, raw, sizeof raw);
}

int
nines_hb_resp_parse (const char *value, size_t len, nines_hb_resp_t *resp)
{
    uint8_t raw [NINES_HB_RESP_RAW];
    int rc = s_read (value, len, raw, sizeof raw);
    if (rc)
        return rc;
    resp->app_status = (uint16_t) s_get_le (raw, 2);
    resp->app_latency_us = (uint32_t) s_get_le (raw + 2, 4);
    memcpy (resp->sig, raw + 6, NINES_SIG_BYTES);
    return NINES_OK;
}

int
nines_hb_resp_verify (const uint8_t facade_key [NINES_ID_BYTES], const uint8_t pod [NINES_ID_BYTES],
                      const uint8_t nonce [NINES_NONCE_BYTES], uint64_t t_ms,
                      const nines_hb_resp_t *resp)
{
    uint8_t msg [62];
    s_resp_signed (msg, pod, nonce, t_ms, resp->app_status, resp->app_latency_us);
    return nines_verify (facade_key, NINES_DOMAIN_HB_RESP, msg, sizeof msg, resp->sig);
}
