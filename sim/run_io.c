/*  nines-sim run: the small I/O every part uses: progress lines, free
    ports and endpoints, the sibling binaries, files, reading the msgpack
    maps of PUB frames and query replies, one request/reply to a child
    (run_call) and waiting for a child to serve. */
#include "run_private.h"
#include "base/error.h"
#include "client/ledger_client.h"
#include "client/request.h"
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

volatile sig_atomic_t run_interrupted = 0;

double
run_rel (sim_run_t *run, uint64_t unix_ms)
{
    return ((double) unix_ms - (double) run->obs.t0) / 1000.0;
}

void
run_say (sim_run_t *run, const char *format, ...)
{
    if (run->obs.t0)
        printf ("[%7.1fs] ", run_rel (run, zclock_time ()));
    else
        printf ("[ setup  ] ");
    va_list args;
    va_start (args, format);
    vprintf (format, args);
    va_end (args);
    printf ("\n");
    fflush (stdout);
}

char *
run_hex (char out [NINES_ID_HEX], const uint8_t id [NINES_ID_BYTES])
{
    return nines_hex (out, id, NINES_ID_BYTES);
}

/*  Deterministic key for (role, index) from the scenario seed, so the same
    scenario gives the same ids (and committees) run after run. */
void
run_seed (sim_run_t *run, const char *domain, const char *role, uint32_t index,
          uint8_t out [NINES_HASH_BYTES])
{
    uint8_t seed_le [8], index_le [8];
    nines_le64 (seed_le, run->sc->seed);
    nines_le64 (index_le, index);
    nines_hash (out, 4, (const uint8_t *) domain, strlen (domain), seed_le, (size_t) 8,
                (const uint8_t *) role, strlen (role), index_le, (size_t) 8);
}

void
run_key (sim_run_t *run, const char *role, uint32_t index, nines_keypair_t *kp)
{
    uint8_t seed [NINES_HASH_BYTES];
    run_seed (run, "nines-sim/key/v1", role, index, seed);
    nines_keypair_from_seed (kp, seed);
}

/*  True when op (bind: the port is free; connect: something accepts on
    it) succeeds for a TCP socket and 127.0.0.1:port. */
static bool
s_loopback (int port, int (*op) (int, const struct sockaddr *, socklen_t))
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    bool ok = fd >= 0 && op (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    if (fd >= 0)
        close (fd);
    return ok;
}

/*  A free TCP port on 127.0.0.1 below the ephemeral range, not handed out
    before in this run.  0 when none is found. */
int
run_port (sim_run_t *run)
{
    for (int attempt = 0; attempt < 2000; attempt++) {
        int port = 20000 + (int) nines_rng_uniform (&run->rng, 12000);
        bool used = false;
        for (size_t i = 0; i < run->n_ports && !used; i++)
            used = run->ports [i] == port;
        if (used)
            continue;
        if (!s_loopback (port, bind))
            continue;
        run->ports [run->n_ports++] = port;
        return port;
    }
    return 0;
}

int
run_endpoint (sim_run_t *run, char out [SIM_ENDPOINT])
{
    int port = run_port (run);
    snprintf (out, SIM_ENDPOINT, "tcp://127.0.0.1:%d", port);
    return port ? NINES_OK : NINES_EUNAVAIL;
}

/*  Find a sibling binary: $NINES_SIM_BINDIR/NAME, then the build tree
    (BUILD/sim/nines-sim -> BUILD/src/SUBDIR/NAME), then beside nines-sim
    (installed), then PATH. */
int
run_find_bin (sim_run_t *run, const char *name, const char *subdir, char out [SIM_PATH_MAX])
{
    char self_dir [SIM_DIR_MAX];
    if (strlen (run->bin_self) >= sizeof self_dir)
        return NINES_ETOOBIG;
    snprintf (self_dir, sizeof self_dir, "%s", run->bin_self);
    char *slash = strrchr (self_dir, '/');
    if (slash)
        *slash = 0;
    const char *bindir = getenv ("NINES_SIM_BINDIR");
    if (bindir && strlen (bindir) >= SIM_DIR_MAX)
        bindir = NULL;
    char candidates [3][SIM_PATH_MAX];
    int n = 0;
    if (bindir && *bindir)
        snprintf (candidates [n++], SIM_PATH_MAX, "%s/%s", bindir, name);
    snprintf (candidates [n++], SIM_PATH_MAX, "%s/../src/%s/%s", self_dir, subdir, name);
    snprintf (candidates [n++], SIM_PATH_MAX, "%s/%s", self_dir, name);
    for (int i = 0; i < n; i++)
        if (access (candidates [i], X_OK) == 0 && realpath (candidates [i], out))
            return NINES_OK;
    const char *path = getenv ("PATH");
    char *copy = path ? strdup (path) : NULL;
    for (char *save = NULL, *d = copy ? strtok_r (copy, ":", &save) : NULL; d; d = strtok_r (NULL, ":", &save)) {
        snprintf (out, SIM_PATH_MAX, "%s/%s", d, name);
        if (access (out, X_OK) == 0) {
            free (copy);
            return NINES_OK;
        }
    }
    free (copy);
    fprintf (stderr, "nines-sim: cannot find %s (looked in %s/../src/%s, %s and PATH); "
             "build the project first: ninja -C build\n", name, self_dir, subdir, self_dir);
    return NINES_ENOTFOUND;
}

int
run_write_file (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (!f)
        return NINES_EIO;
    fputs (text, f);
    return fclose (f) == 0 ? NINES_OK : NINES_EIO;
}

/*  ---- msgpack map reading (PUB frames and query replies) ---- */

uint64_t
run_get_u64 (const msgpack_object *map, const char *key)
{
    const msgpack_object *o = nines_map_get (map, key);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : 0;
}

bool
run_get_bool (const msgpack_object *map, const char *key)
{
    const msgpack_object *o = nines_map_get (map, key);
    if (o && o->type == MSGPACK_OBJECT_BOOLEAN)
        return o->via.boolean;
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64;
}

/*  An id given as bin 32 or as 64 hex characters. */
bool
run_get_id (const msgpack_object *map, const char *key, uint8_t id [NINES_ID_BYTES])
{
    const msgpack_object *o = nines_map_get (map, key);
    if (o && o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == NINES_ID_BYTES) {
        memcpy (id, o->via.bin.ptr, NINES_ID_BYTES);
        return true;
    }
    if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == 64) {
        char hex [65];
        memcpy (hex, o->via.str.ptr, 64);
        hex [64] = 0;
        return nines_unhex (id, NINES_ID_BYTES, hex) == 0;
    }
    return false;
}

/*  A request {op, KEY: bool} for ops with one boolean argument. */
int
run_request_bool (const char *op, const char *key, bool value, uint8_t **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init (&sb);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    nines_pack_kv_str (&pk, "op", op);
    nines_pack_kv_bool (&pk, key, value);
    *out = (uint8_t *) sb.data;
    *len = sb.size;
    return *out ? NINES_OK : NINES_ENOMEM;
}

/*  Send a request, wait for the reply and check ok; on failure print what
    went wrong (naming what) and return non-zero. */
int
run_call (const char *endpoint, uint8_t *req, size_t len, const char *what,
        uint8_t **reply_out, size_t *reply_len_out)
{
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int rc = nines_request (endpoint, req, len, SIM_REQ_TIMEOUT, &reply, &reply_len);
    free (req);
    if (rc) {
        fprintf (stderr, "nines-sim: %s: no reply from %s (%s)\n", what, endpoint, nines_strerror (rc));
        return rc;
    }
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    size_t off = 0;
    rc = NINES_EMALFORMED;
    if (msgpack_unpack_next (&msg, (const char *) reply, reply_len, &off) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *ok = nines_map_get (&msg.data, "ok");
        if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean)
            rc = NINES_OK;
        else {
            const msgpack_object *error = nines_map_get (&msg.data, "error");
            fprintf (stderr, "nines-sim: %s: refused by %s: %.*s\n", what, endpoint,
                     error && error->type == MSGPACK_OBJECT_STR ? (int) error->via.str.size : 7,
                     error && error->type == MSGPACK_OBJECT_STR ? error->via.str.ptr : "no error text");
            rc = NINES_ESTATE;
        }
    }
    else
        fprintf (stderr, "nines-sim: %s: %s answered something that is not msgpack\n", what, endpoint);
    msgpack_unpacked_destroy (&msg);
    if (!rc && reply_out) {
        *reply_out = reply;
        *reply_len_out = reply_len;
    }
    else
        free (reply);
    return rc;
}

/*  Wait until fn(run, arg) is true, the child died or the timeout passed. */
int
run_wait_ready (sim_run_t *run, sim_proc_t *proc, bool (*fn) (sim_run_t *, void *), void *arg)
{
    int64_t deadline = zclock_mono () + SIM_READY_TIMEOUT;
    while (!run_interrupted && zclock_mono () < deadline) {
        sim_proc_t *died = NULL;
        if (sim_proc_reap (run->procs, run->n_procs, &died) || !proc->pid) {
            sim_proc_tail (died ? died : proc, 15);
            return NINES_EUNAVAIL;
        }
        if (fn (run, arg))
            return NINES_OK;
        zclock_sleep (100);
    }
    if (!run_interrupted) {
        fprintf (stderr, "nines-sim: %s did not come up within %d s\n", proc->name,
                 SIM_READY_TIMEOUT / 1000);
        sim_proc_tail (proc, 15);
    }
    return NINES_ETIMEOUT;
}

/*  Any reply at all on a ROUTER endpoint means the process serves. */
bool
run_answers (sim_run_t *run, void *endpoint)
{
    uint8_t *req, *reply = NULL;
    size_t len, reply_len;
    if (nines_ledger_req_simple (NINES_NODE_OP_STATUS, NULL, &req, &len))
        return false;
    int rc = nines_request ((const char *) endpoint, req, len, 500, &reply, &reply_len);
    free (req);
    free (reply);
    return rc == NINES_OK;
}

bool
run_listens (sim_run_t *run, void *port)
{
    return s_loopback (*(int *) port, connect);
}
