#include "evm/follow.h"
#include <string.h>

void
nines_follow_init (nines_follow_t *f, nines_rpc_t *rpc, const uint8_t address [20],
                   uint64_t start, uint64_t confirmations)
{
    memset (f, 0, sizeof *f);
    f->rpc = rpc;
    memcpy (f->address, address, 20);
    f->start = f->next = start;
    f->confirmations = confirmations;
    f->max_range = 2000;
}

void
nines_follow_resume (nines_follow_t *f, uint64_t next, const uint8_t prev_hash [32])
{
    f->n_ring = 0;
    f->next = next < f->start ? f->start : next;
    if (f->next > f->start) {
        f->ring [0].number = f->next - 1;
        memcpy (f->ring [0].hash, prev_hash, 32);
        f->n_ring = 1;
    }
}

void
nines_follow_cursor (const nines_follow_t *f, uint64_t *next, uint8_t prev_hash [32])
{
    *next = f->next;
    memset (prev_hash, 0, 32);
    if (f->n_ring)
        memcpy (prev_hash, f->ring [f->n_ring - 1].hash, 32);
}

static void
s_mark (nines_follow_t *f, uint64_t number, const uint8_t hash [32])
{
    if (f->n_ring == NINES_FOLLOW_RING) {
        memmove (f->ring, f->ring + 1, (NINES_FOLLOW_RING - 1) * sizeof f->ring [0]);
        f->n_ring--;
    }
    f->ring [f->n_ring].number = number;
    memcpy (f->ring [f->n_ring].hash, hash, 32);
    f->n_ring++;
}

/*  Whether the newest mark still holds; if not, step back to after the
    newest that does.  0 or the rpc codes. */
static int
s_check (nines_follow_t *f, uint64_t *rewound)
{
    *rewound = UINT64_MAX;
    uint8_t h [32];
    size_t keep = f->n_ring;
    while (keep) {
        int rc = nines_rpc_block_hash (f->rpc, f->ring [keep - 1].number, h, NULL);
        if (rc && rc != NINES_ENOTFOUND)
            return rc;
        if (rc == 0 && memcmp (h, f->ring [keep - 1].hash, 32) == 0)
            break;
        keep--;
    }
    if (keep == f->n_ring)
        return NINES_OK;
    f->n_ring = keep;
    f->next = keep ? f->ring [keep - 1].number + 1 : f->start;
    f->reorgs++;
    *rewound = f->next;
    return NINES_OK;
}

int
nines_follow_poll (nines_follow_t *f, nines_log_t **logs, size_t *n, uint64_t *rewound)
{
    *logs = NULL;
    *n = 0;
    uint64_t head;
    int rc = nines_rpc_block_number (f->rpc, &head);
    if (rc || (rc = s_check (f, rewound)) || *rewound != UINT64_MAX)
        return rc;
    if (head < f->confirmations || head - f->confirmations < f->next)
        return NINES_OK;
    uint64_t safe = head - f->confirmations;
    for (;;) {
        uint64_t range = f->max_range ? f->max_range : 1;
        uint64_t to = safe - f->next + 1 > range ? f->next + range - 1 : safe;
        rc = nines_rpc_get_logs (f->rpc, f->address, f->next, to, NULL, 0, logs, n);
        if ((rc == NINES_ERPC || rc == NINES_ETOOBIG) && range > 1) {
            f->max_range = range / 2;       /* the node's cap on a query */
            continue;
        }
        if (rc)
            return rc;
        uint8_t h [32];
        if ((rc = nines_rpc_block_hash (f->rpc, to, h, NULL))) {
            nines_rpc_logs_free (*logs, *n);
            *logs = NULL;
            *n = 0;
            return rc;
        }
        /* a log of a block that is no longer the one hashed: read again */
        for (size_t i = 0; i < *n; i++)
            if ((*logs) [i].block_number == to && memcmp ((*logs) [i].block_hash, h, 32) != 0) {
                nines_rpc_logs_free (*logs, *n);
                *logs = NULL;
                *n = 0;
                return NINES_OK;
            }
        s_mark (f, to, h);
        f->next = to + 1;
        return NINES_OK;
    }
}
