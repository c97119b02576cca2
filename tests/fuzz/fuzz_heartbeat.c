/*  Fuzz the Nines-Heartbeat header codec.  The first byte picks the parser
    (even: request, odd: response), the rest is the header value (not
    NUL-terminated).  Properties: no crash; an accepted value has exactly
    the canonical length; verification fails cleanly on forged input. */
#include "fuzz.h"
#include "wire/heartbeat.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool response = data [0] & 1;
    const char *value = (const char *) data + 1;
    size_t len = size - 1;
    if (!response) {
        nines_hb_req_t req;
        if (nines_hb_req_parse (value, len, &req) != 0)
            return 0;
        FUZZ_CHECK (len == 3 + nines_b64url_len (NINES_HB_REQ_RAW) - 1);
        (void) !nines_hb_req_verify (&req);
    }
    else {
        nines_hb_resp_t resp;
        if (nines_hb_resp_parse (value, len, &resp) != 0)
            return 0;
        FUZZ_CHECK (len == 3 + nines_b64url_len (NINES_HB_RESP_RAW) - 1);
        uint8_t key [NINES_ID_BYTES] = { 0 }, pod [NINES_ID_BYTES] = { 0 }, nonce [NINES_NONCE_BYTES] = { 0 };
        (void) !nines_hb_resp_verify (key, pod, nonce, 0, &resp);
    }
    return 0;
}
