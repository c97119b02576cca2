/*  Fuzz registry snapshots (nines_registry_from_string: ZPL params,
    validators and pods), then use the registry as ninesd would: look up
    every entry and draw a committee.  Properties: no crash or leak; a
    rejected snapshot always explains itself in err. */
#include "fuzz.h"
#include "proto/registry.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr (data, size, 16384);
    if (!text)
        return 0;
    char err [256] = "";
    nines_registry_t *reg = nines_registry_from_string ("fuzz.zpl", text, err, sizeof err);
    free (text);
    if (!reg) {
        FUZZ_CHECK (err [0] != 0);
        return 0;
    }
    for (size_t i = 0; i < reg->n_validators; i++)
        FUZZ_CHECK (nines_registry_validator (reg, reg->validators [i].id) == &reg->validators [i]);
    for (size_t i = 0; i < reg->n_pods; i++) {
        FUZZ_CHECK (nines_registry_pod_rec (reg, reg->pods [i].pod) == &reg->pods [i]);
        const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
        size_t c = nines_registry_committee_size (reg);
        uint64_t total = 0;
        size_t n = nines_registry_committee (reg, reg->pods [i].pod, 1, c, members, &total);
        FUZZ_CHECK (n <= c && n <= reg->n_eligible);
        for (size_t k = 0; k < n; k++)
            FUZZ_CHECK (nines_registry_in_committee (reg, reg->pods [i].pod, 1, members [k]->id));
    }
    nines_registry_destroy (&reg);
    return 0;
}
