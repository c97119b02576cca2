/*  des_queue, the timing wheel under nines-sim des: it must pop in exactly
    the order of an (at, seq) min-heap, or runs stop being byte-identical
    per seed.  Millions of random pushes and pops (near, same-ms, at the
    horizon's edge, far beyond it, before the cursor) are checked against
    a plain reference heap; then the empty queue, the overflow hand-over
    at one millisecond, and free with events left (no leaks under ASan). */
#include "des_queue.h"
#include "testutil.h"

#define T0      UINT64_C (1800000000000)   /* virtual Unix ms, 2027 */

/*  --- reference: swap-based 0-based binary heap on (at, seq) ------------ */

typedef struct {
    uint64_t at;                    /* due time, ms */
    uint64_t seq;                   /* push order */
    uint64_t id;                    /* the event's arg */
} ref_item_t;

typedef struct {
    ref_item_t *a;                  /* heap array, a [0] the earliest */
    size_t n;                       /* items */
    size_t cap;                     /* allocated items */
    uint64_t seq;                   /* next push order */
} ref_t;

static bool
r_less (const ref_t *r, size_t i, size_t j)
{
    if (r->a [i].at != r->a [j].at)
        return r->a [i].at < r->a [j].at;
    return r->a [i].seq < r->a [j].seq;
}

static void
r_swap (ref_t *r, size_t i, size_t j)
{
    ref_item_t t = r->a [i];
    r->a [i] = r->a [j];
    r->a [j] = t;
}

static void
r_push (ref_t *r, uint64_t at, uint64_t id)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->a = realloc (r->a, r->cap * sizeof *r->a);
        if (!r->a)
            abort ();
    }
    r->a [r->n] = (ref_item_t) { at, r->seq++, id };
    for (size_t i = r->n++; i && r_less (r, i, (i - 1) / 2); i = (i - 1) / 2)
        r_swap (r, i, (i - 1) / 2);
}

static ref_item_t
r_pop (ref_t *r)
{
    ref_item_t top = r->a [0];
    r->a [0] = r->a [--r->n];
    for (size_t i = 0;;) {
        size_t m = i, l = 2 * i + 1;
        if (l < r->n && r_less (r, l, m))
            m = l;
        if (l + 1 < r->n && r_less (r, l + 1, m))
            m = l + 1;
        if (m == i)
            break;
        r_swap (r, i, m);
        i = m;
    }
    return top;
}

/*  --- helpers ------------------------------------------------------------- */

static uint64_t
s_rand (uint64_t *state)
{
    uint64_t z = (*state += UINT64_C (0x9E3779B97F4A7C15));     /* splitmix64 */
    z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t
s_uniform (uint64_t *state, uint64_t lo, uint64_t hi)
{
    return lo + s_rand (state) % (hi - lo + 1);
}

static char s_payload [64];         /* events point into it: pointers are compared, never freed */

static int
s_push (des_queue_t *q, ref_t *r, uint64_t at, uint64_t id)
{
    des_event_t ev = { .at = at, .kind = 1, .arg = id, .data = s_payload + id % sizeof s_payload };
    r_push (r, at, id);
    return des_queue_push (q, ev);
}

/*  Pop from both and compare: 0 when they agree. */
static int
s_pop_check (des_queue_t *q, ref_t *r, uint64_t *now)
{
    uint64_t want_at = r->n ? r->a [0].at : UINT64_MAX;
    uint64_t peek = des_queue_peek (q);
    des_event_t ev;
    if (!r->n) {
        bool popped = des_queue_pop (q, &ev);
        if (peek == UINT64_MAX && !popped)
            return 0;
        fprintf (stderr, "  empty reference, queue peek %llu popped %d\n",
                 (unsigned long long) peek, popped);
        return -1;
    }
    ref_item_t want = r_pop (r);
    if (!des_queue_pop (q, &ev) || peek != want_at || ev.at != want.at || ev.arg != want.id
        || ev.data != s_payload + want.id % sizeof s_payload || ev.kind != 1) {
        fprintf (stderr, "  want at %llu id %llu; peek %llu, got at %llu id %llu\n",
                 (unsigned long long) want.at, (unsigned long long) want.id,
                 (unsigned long long) peek, (unsigned long long) ev.at,
                 (unsigned long long) ev.arg);
        return -1;
    }
    *now = ev.at;
    return 0;
}

/*  Due time of a random push made at virtual time now: mostly 0-20 s
    ahead, many at the same few ms, some at the horizon's edge, some far
    beyond it, and with probability past_ppm before now. */
static uint64_t
s_due (uint64_t *rng, uint64_t now, uint32_t past_ppm)
{
    if (s_rand (rng) % 1000000 < past_ppm)
        return now - s_uniform (rng, 1, 5000);
    uint64_t r = s_rand (rng) % 100;
    if (r < 50)
        return now + s_uniform (rng, 0, 20000);
    if (r < 65)
        return now + s_uniform (rng, 0, 3);
    if (r < 70)
        return now;
    if (r < 80)
        return now + DES_QUEUE_SLOTS - 2 + s_uniform (rng, 0, 4);
    if (r < 90)
        return now + s_uniform (rng, DES_QUEUE_SLOTS, 20 * DES_QUEUE_SLOTS);
    if (r < 95)
        return now + s_uniform (rng, 0, 600000);
    return now + s_uniform (rng, 1, 2000);
}

/*  ops rounds of: pop one (peek first) or push one or two, steering the
    resident count toward a target redrawn every 100,000 rounds (0 drains
    the queue: the cursor restarts on the next push).  Half the push
    batches peek first, so the cursor may already stand past `now`. */
static void
s_random_run (uint64_t seed, size_t ops, uint32_t past_ppm)
{
    static const size_t targets [] = { 0, 50, 3000, 60000, 250000 };
    des_queue_t q;
    des_queue_init (&q);
    ref_t r = { 0 };
    uint64_t rng = seed, now = T0 + s_uniform (&rng, 0, 1000000), id = 0;
    size_t target = 3000, bad = 0, pushes = 0, pops = 0;
    for (size_t i = 0; i < ops && !bad; i++) {
        if (i % 100000 == 0)
            target = targets [s_rand (&rng) % (sizeof targets / sizeof targets [0])];
        bool push = s_rand (&rng) % 100 < (r.n < target ? 70 : 30);
        if (push) {
            if (s_rand (&rng) % 2)
                des_queue_peek (&q);
            size_t k = 1 + s_rand (&rng) % 2;
            for (size_t j = 0; j < k; j++, pushes++)
                if (s_push (&q, &r, s_due (&rng, now, past_ppm), id++))
                    bad++;
        }
        else {
            if (s_pop_check (&q, &r, &now))
                bad++;
            pops++;
        }
    }
    while (r.n && !bad)
        if (s_pop_check (&q, &r, &now))
            bad++;
    CHECK_EQ (bad, 0);
    CHECK_EQ (q.n, 0);
    CHECK_EQ (des_queue_peek (&q), UINT64_MAX);
    CHECK (pushes > ops / 3 && pops > ops / 4);
    des_queue_free (&q);
    free (r.a);
}

/*  --- cases ---------------------------------------------------------------- */

/*  What the simulator does: pushes at or after the last popped time. */
static void
test_random (void)
{
    s_random_run (7, 3000000, 0);
}

/*  Pushes before the last popped time too (the driver never does). */
static void
test_random_past (void)
{
    s_random_run (11, 1000000, 20000);
}

static void
test_empty (void)
{
    des_queue_t q;
    des_event_t ev;
    des_queue_init (&q);
    CHECK_EQ (des_queue_peek (&q), UINT64_MAX);
    CHECK (!des_queue_pop (&q, &ev));
    des_queue_free (&q);

    des_queue_init (&q);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0, .arg = 1 }), 0);
    CHECK_EQ (des_queue_peek (&q), T0);
    CHECK (des_queue_pop (&q, &ev));
    CHECK_EQ (ev.arg, 1);
    CHECK_EQ (des_queue_peek (&q), UINT64_MAX);
    CHECK (!des_queue_pop (&q, &ev));
    /*  Empty again: a push far in the past or future restarts the cursor. */
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = 5, .arg = 2 }), 0);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = UINT64_MAX - 1, .arg = 3 }), 0);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = UINT64_MAX - 1, .arg = 4 }), 0);
    CHECK (des_queue_pop (&q, &ev) && ev.at == 5 && ev.arg == 2);
    CHECK_EQ (des_queue_peek (&q), UINT64_MAX - 1);
    CHECK (des_queue_pop (&q, &ev) && ev.arg == 3);
    CHECK (des_queue_pop (&q, &ev) && ev.arg == 4);
    CHECK (!des_queue_pop (&q, &ev));
    des_queue_free (&q);
}

/*  B waits in the overflow for the millisecond T0 + SLOTS; once the cursor
    moves, E is pushed due at that same millisecond straight into the
    wheel: B was pushed first and must come out first. */
static void
test_overflow_handover (void)
{
    des_queue_t q;
    des_event_t ev;
    des_queue_init (&q);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0, .arg = 'A' }), 0);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0 + DES_QUEUE_SLOTS, .arg = 'B' }), 0);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0 + DES_QUEUE_SLOTS + 5, .arg = 'C' }), 0);
    CHECK_EQ (q.overflow.n, 2);
    CHECK (des_queue_pop (&q, &ev) && ev.arg == 'A');
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0 + 1, .arg = 'D' }), 0);
    CHECK (des_queue_pop (&q, &ev) && ev.arg == 'D');
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0 + DES_QUEUE_SLOTS, .arg = 'E' }), 0);
    CHECK_EQ (q.overflow.n, 1);
    CHECK_EQ (des_queue_peek (&q), T0 + DES_QUEUE_SLOTS);
    CHECK (des_queue_pop (&q, &ev) && ev.arg == 'B');
    CHECK (des_queue_pop (&q, &ev) && ev.arg == 'E');
    CHECK (des_queue_pop (&q, &ev) && ev.arg == 'C');
    CHECK (!des_queue_pop (&q, &ev));
    des_queue_free (&q);
}

/*  Free with events in the wheel (several chunks in one slot), the
    overflow and the past heap: payloads stay the caller's, and nothing of
    the queue leaks (the sanitizer build checks). */
static void
test_free_with_events (void)
{
    des_queue_t q;
    des_event_t ev;
    des_queue_init (&q);
    for (int i = 0; i < 3 * DES_QUEUE_CHUNK_EVENTS; i++)
        CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0 + 10, .data = s_payload }), 0);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0 + 600000 }), 0);
    CHECK (des_queue_pop (&q, &ev) && ev.at == T0 + 10);
    CHECK_RC (des_queue_push (&q, (des_event_t) { .at = T0 }), 0);
    CHECK_EQ (q.past.n, 1);
    CHECK_EQ (q.overflow.n, 1);
    CHECK_EQ (q.n, 3 * DES_QUEUE_CHUNK_EVENTS + 1);
    des_queue_free (&q);
    CHECK_EQ (q.n, 0);
    CHECK_EQ (des_queue_peek (&q), UINT64_MAX);
}

int
main (void)
{
    RUN (test_empty);
    RUN (test_overflow_handover);
    RUN (test_free_with_events);
    RUN (test_random);
    RUN (test_random_past);
    return t_done ("test_des_queue");
}
