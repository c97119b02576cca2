/*  Shared by the fuzz targets: each target defines LLVMFuzzerTestOneInput.
    Built with clang and -Dfuzz=true it links libFuzzer; always it also links
    replay.c, whose main feeds every file of the target's seed corpus to the
    same function (suite 'fuzz').

    A decoder may reject any input with an error code; what it must never do
    is crash, read out of bounds, leak or accept something its own encoder
    would write differently.  FUZZ_CHECK traps on a broken property so both
    libFuzzer and the replayer report it. */
#ifndef NINES_FUZZ_H
#define NINES_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) do { if (!(cond)) { \
    fprintf (stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } while (0)

/*  Canonical-form property: obj (just decoded) encodes; the encoding
    decodes into again; again encodes to the very same bytes.  b1 and b2
    are arrays (sizeof gives their capacity). */
#define FUZZ_FIXED_POINT(encode, decode, obj, again, b1, b2) do { \
    size_t _l1 = 0, _l2 = 0; \
    FUZZ_CHECK (encode ((obj), (b1), sizeof (b1), &_l1) == 0); \
    FUZZ_CHECK (decode ((b1), _l1, (again)) == 0); \
    FUZZ_CHECK (encode ((again), (b2), sizeof (b2), &_l2) == 0); \
    FUZZ_CHECK (_l1 == _l2 && memcmp ((b1), (b2), _l1) == 0); } while (0)

/*  A NUL-terminated heap copy of the input (caller frees), or NULL when
    the input is longer than max: text decoders take C strings. */
static inline char *
fuzz_cstr (const uint8_t *data, size_t size, size_t max)
{
    char *text = size <= max ? (char *) malloc (size + 1) : NULL;
    if (text) {
        memcpy (text, data, size);
        text [size] = 0;
    }
    return text;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
