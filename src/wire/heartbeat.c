/*  Heartbeat header codec: see heartbeat.h and proto/PROTOCOL.md. */
#include "wire/heartbeat.h"
#include <string.h>

#define PREFIX "v1."
#define PREFIX_LEN 3

/*  out [0..n-1] = the n low bytes of v, least significant first. */
static void
s_put_le (uint8_t *out, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
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

/*  One field of a raw header, in wire order with no gaps: size bytes from
    or to offset off of the struct; uint: the struct holds a uint of that
    size (2, 4 or 8 bytes), little-endian on the wire; else bytes. */
typedef struct {
    size_t off;
    int size;
    bool uint;
} s_field_t;

#define BYTES_F(T, f) { offsetof (T, f), (int) sizeof ((T *) 0)->f, false }
#define UINT_F(T, f)  { offsetof (T, f), (int) sizeof ((T *) 0)->f, true }

static const s_field_t s_req_layout [] = {
    BYTES_F (nines_hb_req_t, validator), BYTES_F (nines_hb_req_t, pod),
    BYTES_F (nines_hb_req_t, nonce), UINT_F (nines_hb_req_t, t_ms),
    BYTES_F (nines_hb_req_t, sig),
};

static const s_field_t s_resp_layout [] = {
    UINT_F (nines_hb_resp_t, app_status), UINT_F (nines_hb_resp_t, app_latency_us),
    BYTES_F (nines_hb_resp_t, sig),
};

#define S_N(a) (sizeof (a) / sizeof (a) [0])

/*  A header kind: its signature domain and its raw layout. */
typedef struct {
    const char *domain;
    const s_field_t *layout;
    size_t n;
} s_header_t;

static const s_header_t s_req = { NINES_DOMAIN_HB_REQ, s_req_layout, S_N (s_req_layout) };
static const s_header_t s_resp = { NINES_DOMAIN_HB_RESP, s_resp_layout, S_N (s_resp_layout) };

/*  A uint field's value in the struct at p. */
static uint64_t
s_uint_of (const uint8_t *p, int size)
{
    uint16_t v16; uint32_t v32; uint64_t v64;
    if (size == 2) { memcpy (&v16, p, 2); return v16; }
    if (size == 4) { memcpy (&v32, p, 4); return v32; }
    memcpy (&v64, p, 8);
    return v64;
}

/*  Store v into the uint field of the struct at p. */
static void
s_uint_set (uint8_t *p, int size, uint64_t v)
{
    uint16_t v16 = (uint16_t) v; uint32_t v32 = (uint32_t) v;
    memcpy (p, size == 2 ? (void *) &v16 : size == 4 ? (void *) &v32 : (void *) &v, (size_t) size);
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
    s_put_le (out + 56, app_status, 2);
    s_put_le (out + 58, app_latency_us, 4);
}

/*  Sign msg (msg_len bytes, the header's signed bytes) under h's domain
    with kp into sig (a field of st), then write "v1." and the base64url
    of the fields of st laid out by h (NUL-ended) into out.  0,
    nines_sign's error or NINES_EINVAL (out too small). */
static int
s_sign_encode (const s_header_t *h, const nines_keypair_t *kp, const uint8_t *msg, size_t msg_len,
               uint8_t sig [NINES_SIG_BYTES], const void *st, char *out, size_t out_size)
{
    int rc = nines_sign (kp, h->domain, msg, msg_len, sig);
    if (rc)
        return rc;
    const s_field_t *layout = h->layout;
    size_t n = h->n;
    uint8_t raw [NINES_HB_REQ_RAW];
    size_t len = 0;
    for (size_t i = 0; i < n; len += (size_t) layout [i].size, i++) {
        const uint8_t *p = (const uint8_t *) st + layout [i].off;
        if (layout [i].uint)
            s_put_le (raw + len, s_uint_of (p, layout [i].size), layout [i].size);
        else
            memcpy (raw + len, p, (size_t) layout [i].size);
    }
    if (out_size < PREFIX_LEN + nines_b64url_len (len))
        return NINES_EINVAL;
    memcpy (out, PREFIX, PREFIX_LEN);
    nines_b64url (out + PREFIX_LEN, out_size - PREFIX_LEN, raw, len);
    return NINES_OK;
}

/*  Strip "v1.", decode exactly the raw bytes of h's layout and fill st
    from them.  0, NINES_EMALFORMED, NINES_EVERSION or NINES_ETOOBIG. */
static int
s_decode (const char *value, size_t len, const s_header_t *h, void *st)
{
    const s_field_t *layout = h->layout;
    size_t n = h->n;
    uint8_t raw [NINES_HB_REQ_RAW];
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += (size_t) layout [i].size;
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
    if (got != want)
        return NINES_EMALFORMED;
    const uint8_t *r = raw;
    for (size_t i = 0; i < n; r += layout [i].size, i++) {
        uint8_t *p = (uint8_t *) st + layout [i].off;
        if (layout [i].uint)
            s_uint_set (p, layout [i].size, s_get_le (r, layout [i].size));
        else
            memcpy (p, r, (size_t) layout [i].size);
    }
    return NINES_OK;
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
    return s_sign_encode (&s_req, validator, msg, sizeof msg, req->sig, req, out, out_size);
}

int
nines_hb_req_parse (const char *value, size_t len, nines_hb_req_t *req)
{
    return s_decode (value, len, &s_req, req);
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
    return s_sign_encode (&s_resp, facade, msg, sizeof msg, resp->sig, resp, out, out_size);
}

int
nines_hb_resp_parse (const char *value, size_t len, nines_hb_resp_t *resp)
{
    return s_decode (value, len, &s_resp, resp);
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
