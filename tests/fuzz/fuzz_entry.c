/*  Fuzz the registry entry codecs.  The first input byte picks the decoder
    (0 validator, 1 pod, 2 params; taken mod 3), the rest is the encoding.
    Properties: no crash; accepted entries re-encode to a fixed point;
    strings come back NUL-terminated within their capacity. */
#include "fuzz.h"
#include "wire/wire.h"

static uint8_t s_buf [8192], s_buf2 [8192];

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data [0] % 3;
    data++, size--;
    if (which == 0) {
        nines_validator_info_t v, again;
        if (nines_validator_info_decode (data, size, &v) != 0)
            return 0;
        FUZZ_CHECK (memchr (v.endpoint, 0, sizeof v.endpoint) != NULL);
        FUZZ_FIXED_POINT (nines_validator_info_encode, nines_validator_info_decode, &v, &again, s_buf, s_buf2);
    }
    else
    if (which == 1) {
        nines_pod_info_t p, again;
        if (nines_pod_info_decode (data, size, &p) != 0)
            return 0;
        FUZZ_CHECK (p.n_maint <= NINES_MAINT_MAX);
        FUZZ_CHECK (memchr (p.facade_url, 0, sizeof p.facade_url) != NULL);
        FUZZ_CHECK (memchr (p.method, 0, sizeof p.method) != NULL);
        FUZZ_CHECK (memchr (p.path, 0, sizeof p.path) != NULL);
        FUZZ_FIXED_POINT (nines_pod_info_encode, nines_pod_info_decode, &p, &again, s_buf, s_buf2);
    }
    else {
        nines_params_t p, again;
        if (nines_params_decode (data, size, &p) != 0)
            return 0;
        FUZZ_CHECK (p.theta_ppm <= 1000000 && p.max_slash_ppm <= 1000000 && p.fee_ppm <= 1000000);
        FUZZ_FIXED_POINT (nines_params_encode, nines_params_decode, &p, &again, s_buf, s_buf2);
    }
    return 0;
}
