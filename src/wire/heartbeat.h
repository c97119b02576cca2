/*  The heartbeat header codec (DESIGN.md section 6, proto/PROTOCOL.md).

    Request header, sent by a validator inside an ordinary HTTPS request:
        Nines-Heartbeat: v1.<base64url(validator_id | pod_id | nonce16 | le64(t_ms) | sig)>
    raw payload 32 + 32 + 16 + 8 + 64 = 152 bytes, base64url without padding
    (203 characters); sig by the validator over
        "nines/hb-req/v1" || pod_id || nonce || le64(t_ms).

    Response header, sent by the facade in a 200 answer to a valid heartbeat:
        Nines-Heartbeat: v1.<base64url(le16(app_status) | le32(app_latency_us) | sig)>
    raw payload 2 + 4 + 64 = 70 bytes; sig by the facade key over
        "nines/hb-resp/v1" || pod_id || nonce || le64(t_ms)
                           || le16(app_status) || le32(app_latency_us).
    app_status is the app's HTTP status (0 when the app did not answer);
    app_latency_us the app's answer time in microseconds.

    Parsing checks syntax only and never aborts on input; verification is a
    separate call.  All functions return 0 or a negative NINES_E* code. */
#ifndef NINES_HEARTBEAT_H
#define NINES_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto.h"

#define NINES_HB_HEADER          "Nines-Heartbeat"
#define NINES_NONCE_BYTES        16
#define NINES_HB_REQ_RAW         (32 + 32 + NINES_NONCE_BYTES + 8 + 64)   /* 152 */
#define NINES_HB_RESP_RAW        (2 + 4 + 64)                              /* 70 */
#define NINES_HB_VALUE_MAX       256   /* longest header value incl. NUL */
#define NINES_HB_SKEW_MS         30000 /* accepted |t_ms - now| at the facade */

typedef struct {
    uint8_t validator [NINES_ID_BYTES];  /* sender's id */
    uint8_t pod [NINES_ID_BYTES];        /* pod id the heartbeat is for */
    uint8_t nonce [NINES_NONCE_BYTES];   /* random per heartbeat */
    uint64_t t_ms;                       /* sender's clock, Unix ms */
    uint8_t sig [NINES_SIG_BYTES];       /* validator's signature */
} nines_hb_req_t;

typedef struct {
    uint16_t app_status;                 /* app HTTP status, 0 = no answer */
    uint32_t app_latency_us;             /* app answer time, microseconds */
    uint8_t sig [NINES_SIG_BYTES];       /* facade's signature */
} nines_hb_resp_t;

/*  Fill req (fresh nonce from the CSPRNG unless nonce is given), sign it
    with the validator key and write the header value ("v1.…", NUL-ended)
    into out (>= NINES_HB_VALUE_MAX bytes).  0 or NINES_EINVAL. */
int nines_hb_req_make (const nines_keypair_t *validator, const uint8_t pod [NINES_ID_BYTES],
                       const uint8_t *nonce, uint64_t t_ms, nines_hb_req_t *req,
                       char *out, size_t out_size);

/*  Parse a request header value of len bytes (not NUL-terminated needed).
    NINES_EVERSION (prefix not "v1."), NINES_EMALFORMED, NINES_ETOOBIG. */
int nines_hb_req_parse (const char *value, size_t len, nines_hb_req_t *req);

/*  Verify the validator's signature on req.  0 or NINES_EBADSIG. */
int nines_hb_req_verify (const nines_hb_req_t *req) NINES_WARN_UNUSED;

/*  Sign a response to req with the facade key and write the header value
    into out (>= NINES_HB_VALUE_MAX).  resp may be NULL.  0 or NINES_EINVAL. */
int nines_hb_resp_make (const nines_keypair_t *facade, const nines_hb_req_t *req,
                        uint16_t app_status, uint32_t app_latency_us,
                        nines_hb_resp_t *resp, char *out, size_t out_size);

/*  Parse a response header value.  NINES_EVERSION, NINES_EMALFORMED. */
int nines_hb_resp_parse (const char *value, size_t len, nines_hb_resp_t *resp);

/*  Verify a facade response against the request it answers.
    0 or NINES_EBADSIG. */
int nines_hb_resp_verify (const uint8_t facade_key [NINES_ID_BYTES],
                          const uint8_t pod [NINES_ID_BYTES],
                          const uint8_t nonce [NINES_NONCE_BYTES], uint64_t t_ms,
                          const nines_hb_resp_t *resp) NINES_WARN_UNUSED;

#endif
