#include "evm/buf.h"
#include <stdlib.h>
#include <string.h>

void
nines_buf_init (nines_buf_t *b)
{
    memset (b, 0, sizeof *b);
}

void
nines_buf_free (nines_buf_t *b)
{
    free (b->data);
    nines_buf_init (b);
}

int
nines_buf_reserve (nines_buf_t *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return NINES_ENOMEM;
    }
    if (b->len + more <= b->cap)
        return NINES_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc (b->data, cap);
    if (!p) {
        b->failed = 1;
        return NINES_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return NINES_OK;
}

int
nines_buf_put (nines_buf_t *b, const void *p, size_t len)
{
    if (len == 0)
        return NINES_OK;
    int rc = nines_buf_reserve (b, len);
    if (rc)
        return rc;
    memcpy (b->data + b->len, p, len);
    b->len += len;
    return NINES_OK;
}

int
nines_buf_byte (nines_buf_t *b, uint8_t v)
{
    return nines_buf_put (b, &v, 1);
}

int
nines_buf_zeros (nines_buf_t *b, size_t n)
{
    if (n == 0)
        return NINES_OK;
    int rc = nines_buf_reserve (b, n);
    if (rc)
        return rc;
    memset (b->data + b->len, 0, n);
    b->len += n;
    return NINES_OK;
}

int
nines_buf_insert (nines_buf_t *b, size_t at, const void *p, size_t len)
{
    if (at > b->len)
        return NINES_EINVAL;
    int rc = nines_buf_reserve (b, len);
    if (rc || len == 0)
        return rc;
    memmove (b->data + at + len, b->data + at, b->len - at);
    memcpy (b->data + at, p, len);
    b->len += len;
    return NINES_OK;
}

int
nines_buf_status (const nines_buf_t *b)
{
    return b->failed ? NINES_ENOMEM : NINES_OK;
}
