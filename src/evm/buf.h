/*  A growable byte buffer, the output of the EVM encoders (RLP, ABI,
    transactions).  src/base/bytes.h has fixed-width helpers only, so the
    buffer lives here with its only users.

    A buffer starts zeroed ({0}) or from nines_buf_init; appends grow it
    geometrically.  An append that cannot allocate leaves the buffer as it
    was, sets its sticky `failed` flag and returns NINES_ENOMEM, so an
    encoder may append many times and check once (nines_buf_status). */
#ifndef NINES_EVM_BUF_H
#define NINES_EVM_BUF_H

#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;      /* len bytes, NULL while empty */
    size_t len;         /* bytes used */
    size_t cap;         /* bytes allocated */
    int failed;         /* an append ran out of memory */
} nines_buf_t;

/*  An empty buffer (same as zero-initialising it). */
void nines_buf_init (nines_buf_t *b);

/*  Free the bytes and reset to empty. */
void nines_buf_free (nines_buf_t *b);

/*  Make room for `more` further bytes.  0 or NINES_ENOMEM. */
int nines_buf_reserve (nines_buf_t *b, size_t more);

/*  Append len bytes of p (p may be NULL when len is 0).  0 or NINES_ENOMEM. */
int nines_buf_put (nines_buf_t *b, const void *p, size_t len);

/*  Append one byte.  0 or NINES_ENOMEM. */
int nines_buf_byte (nines_buf_t *b, uint8_t v);

/*  Append n zero bytes.  0 or NINES_ENOMEM. */
int nines_buf_zeros (nines_buf_t *b, size_t n);

/*  Insert len bytes of p at offset at (at <= b->len), moving the rest up:
    RLP writes a list's header once its payload length is known.
    0, NINES_EINVAL (at past the end) or NINES_ENOMEM. */
int nines_buf_insert (nines_buf_t *b, size_t at, const void *p, size_t len);

/*  0, or NINES_ENOMEM when any append since the last init failed. */
int nines_buf_status (const nines_buf_t *b);

#endif
