/*  The facade's per-address connection cap (src/facade/conncap.h). */
#include "facade/conncap.h"
#include "testutil.h"
#include <arpa/inet.h>
#include <netinet/in.h>

static void
s_key4 (const char *text, uint8_t key [NINES_CONNCAP_KEY_BYTES])
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    inet_pton (AF_INET, text, &a.sin_addr);
    CHECK (nines_conncap_key ((struct sockaddr *) &a, key));
}

static void
s_key6 (const char *text, uint8_t key [NINES_CONNCAP_KEY_BYTES])
{
    struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
    inet_pton (AF_INET6, text, &a.sin6_addr);
    CHECK (nines_conncap_key ((struct sockaddr *) &a, key));
}

/*  The cap per address, other addresses unaffected, slots coming back;
    IPv6 grouped by /64, IPv4-mapped IPv6 the same as IPv4. */
static void
test_cap (void)
{
    CHECK (nines_conncap_new (0, 1) == NULL);
    CHECK (nines_conncap_new (1, 0) == NULL);
    nines_conncap_t *c = nines_conncap_new (100, 3);
    uint8_t a [NINES_CONNCAP_KEY_BYTES], b [NINES_CONNCAP_KEY_BYTES], m [NINES_CONNCAP_KEY_BYTES];
    s_key4 ("127.0.0.1", a);
    s_key4 ("127.0.0.2", b);
    int ok = 0;
    for (int i = 0; i < 10; i++)
        ok += nines_conncap_acquire (c, a);
    CHECK_EQ (ok, 3);
    CHECK_EQ (nines_conncap_count (c, a), 3);
    CHECK (nines_conncap_acquire (c, b));
    nines_conncap_release (c, a);
    CHECK (nines_conncap_acquire (c, a));
    CHECK (!nines_conncap_acquire (c, a));
    s_key6 ("::ffff:127.0.0.1", m);
    CHECK_MEM (m, a, NINES_CONNCAP_KEY_BYTES);
    uint8_t x [NINES_CONNCAP_KEY_BYTES], y [NINES_CONNCAP_KEY_BYTES], z [NINES_CONNCAP_KEY_BYTES];
    s_key6 ("2001:db8:1:2::1", x);
    s_key6 ("2001:db8:1:2:ffff::9", y);      /* same /64 */
    s_key6 ("2001:db8:1:3::1", z);           /* next /64 */
    CHECK_MEM (x, y, NINES_CONNCAP_KEY_BYTES);
    CHECK (memcmp (x, z, NINES_CONNCAP_KEY_BYTES) != 0);
    struct sockaddr un = { .sa_family = AF_UNIX };
    CHECK (!nines_conncap_key (&un, x));
    nines_conncap_destroy (&c);
    CHECK (c == NULL);
}

/*  Many addresses acquiring and releasing at random against a plain
    array of counts: the table (linear probing, backward-shift deletion)
    never loses or confuses an entry. */
static void
test_churn (void)
{
    enum { ADDRS = 300, MAXC = 512, CAP = 4 };
    nines_conncap_t *c = nines_conncap_new (MAXC, CAP);
    static uint64_t want [ADDRS];
    uint64_t open = 0, rng = 42;
    int bad = 0;
    for (int step = 0; step < 200000; step++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int i = (int) ((rng >> 33) % ADDRS);
        uint8_t key [NINES_CONNCAP_KEY_BYTES];
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (0x0a000000u + (uint32_t) i * 7919u) };
        nines_conncap_key ((struct sockaddr *) &a, key);
        bool release = (rng >> 20) & 1 ? want [i] > 0 : open >= MAXC;
        if (release) {
            if (want [i]) {
                nines_conncap_release (c, key);
                want [i]--;
                open--;
            }
        }
        else {
            bool got = nines_conncap_acquire (c, key);
            bad += got != (want [i] < CAP);
            if (got) {
                want [i]++;
                open++;
            }
        }
        if (step % 1000 == 0)
            for (int k = 0; k < ADDRS; k++) {
                struct sockaddr_in b = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (0x0a000000u + (uint32_t) k * 7919u) };
                nines_conncap_key ((struct sockaddr *) &b, key);
                bad += nines_conncap_count (c, key) != want [k];
            }
    }
    CHECK_EQ (bad, 0);
    nines_conncap_destroy (&c);
}

int
main (void)
{
    RUN (test_cap);
    RUN (test_churn);
    return t_done ("test_conncap");
}
