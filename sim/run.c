/*  nines-sim run: a whole nines network of real processes on 127.0.0.1.

    In a fresh temporary directory: keys for the ledger, every validator,
    provider and facade (libnines key files), a TLS key and self-signed
    certificate per pod (OpenSSL API); then nines-ledger (params from a
    genesis registry snapshot), every validator and pod registered through
    the ledger's signed API, M demo apps each behind its own nines-facade,
    and N ninesd following the ledger.  The scenario's timeline is played
    against them while the ninesd report streams and the ledger's incident
    stream are printed; at the end the ledger's incidents are compared with
    the ground truth (run_result.c) and drawn (svg.c).

    Faults: app_down kills the demo app and restarts it; app_unhealthy
    makes it answer 503 (SIGUSR1/SIGUSR2); facade_stop SIGSTOPs the facade
    and SIGCONTs it; validator_kill SIGKILLs a ninesd and restarts it on
    the same data; validator_isolate uses ninesd's query op `fault`
    {isolate} (node/fault_hooks = 1): the daemon drops its peer traffic and
    fails its heartbeats, as if its network were cut, without needing root
    for network namespaces.  Overlapping faults on one target nest. */
#include "sim.h"
#include "run.h"
#include "base/config.h"
#include "base/error.h"
#include "base/log.h"
#include "client/request.h"
#include "proto/registry.h"
#include "client/ledger_client.h"
#include <czmq.h>
#include <errno.h>
#include <ftw.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SIM_ENDPOINT 64                  /* "tcp://127.0.0.1:NNNNN" */
#define SIM_REQ_TIMEOUT 3000             /* ms for one API request */
#define SIM_READY_TIMEOUT 20000          /* ms for a process to come up */

static volatile sig_atomic_t s_interrupted = 0;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_interrupted = 1;
}

/*  One validator: key, endpoints, process, nesting counts of its faults. */
typedef struct {
    nines_keypair_t kp;                  /* identity */
    char dir [SIM_SUBDIR_MAX];           /* its directory in the run dir */
    char peer [SIM_ENDPOINT];            /* CurveZMQ peer endpoint (registered) */
    char query [SIM_ENDPOINT];           /* query ROUTER */
    char pub [SIM_ENDPOINT];             /* report PUB */
    sim_proc_t proc;                     /* ninesd */
    int kill_refs;                       /* validator_kill faults in force */
    int isolate_refs;                    /* validator_isolate faults in force */
} s_validator_t;

/*  One pod: ids, keys, ports, the demo app and its facade. */
typedef struct {
    uint8_t id [NINES_ID_BYTES];         /* pod id */
    uint32_t provider;                   /* provider index */
    nines_keypair_t facade_kp;           /* facade key (signs heartbeat answers) */
    uint8_t pin [NINES_HASH_BYTES];      /* SPKI pin of its certificate */
    nines_keypair_t next_kp;             /* pin_rotation: the next facade key */
    uint8_t next_pin [NINES_HASH_BYTES]; /* pin_rotation: the next certificate's pin */
    bool has_next;                       /* next_* made, files pod-next.* written */
    unsigned rotations;                  /* pin rotations done (names the next files) */
    int app_port;                        /* demo app port */
    int facade_port;                     /* facade TLS port */
    char dir [SIM_SUBDIR_MAX];           /* its directory in the run dir */
    sim_proc_t app;                      /* demo app */
    sim_proc_t facade;                   /* nines-facade */
    int down_refs;                       /* app_down-like faults in force */
    int sick_refs;                       /* app_unhealthy faults in force */
    int stop_refs;                       /* facade_stop faults in force */
} s_pod_t;

typedef enum {
    EV_APP_DOWN, EV_APP_SICK, EV_FACADE_STOP, EV_VAL_KILL, EV_VAL_ISOLATE, EV_ROTATE,
    EV_LEDGER_KILL, EV_PAID_UNTIL, EV_MAINTENANCE
} s_ev_kind_t;

/*  Steps of a pin_rotation (PROTOCOL.md 10.2). */
enum { ROT_ANNOUNCE, ROT_SWITCH, ROT_RETIRE };

/*  One step of the timeline. */
typedef struct {
    uint64_t t_ms;                       /* ms from t0 */
    s_ev_kind_t kind;                    /* what to do */
    uint32_t index;                      /* pod or validator */
    bool on;                             /* fault starts (true) or ends */
    uint32_t fault;                      /* index of the fault section */
    int step;                            /* EV_ROTATE: ROT_* */
} s_event_t;

typedef struct {
    nines_scenario_t *sc;                /* scenario */
    bool keep;                           /* keep the run directory */
    bool verbose;                        /* -v: more progress */
    char dir [SIM_DIR_MAX];              /* run directory */
    char out [SIM_DIR_MAX];              /* result.json and timeline.svg go here */
    char bin_ledger [SIM_PATH_MAX];      /* nines-ledger */
    char bin_ninesd [SIM_PATH_MAX];      /* ninesd */
    char bin_facade [SIM_PATH_MAX];      /* nines-facade */
    char bin_self [SIM_PATH_MAX];        /* this nines-sim (runs the demo app) */
    nines_keypair_t ledger_kp;           /* ledger key */
    char ledger_api [SIM_ENDPOINT];      /* ledger ROUTER */
    char ledger_pub [SIM_ENDPOINT];      /* ledger PUB */
    sim_proc_t ledger;                   /* nines-ledger */
    s_validator_t *v;                    /* validators */
    s_pod_t *p;                          /* pods */
    nines_keypair_t *providers;          /* provider keys */
    sim_proc_t **procs;                  /* every child, for reaping and stopping */
    size_t n_procs;                      /* children */
    int *ports;                          /* ports handed out */
    size_t n_ports;                      /* count */
    s_event_t *ev;                       /* timeline, sorted */
    size_t n_ev;                         /* steps */
    zsock_t *sub_nodes;                  /* SUB to every ninesd PUB */
    zsock_t *sub_ledger;                 /* SUB to the ledger PUB */
    zpoller_t *poller;                   /* both SUBs */
    nines_report_t *report;              /* decode buffer (large) */
    uint8_t (*seen) [NINES_HASH_BYTES];  /* report ids already counted */
    size_t n_seen;                       /* count */
    sim_observed_t obs;                  /* what happened */
    sim_episode_t *episodes;             /* ground truth */
    size_t n_episodes;                   /* count */
    int errors;                          /* faults that could not be applied etc. */
    nines_rng_t rng;                     /* port choice */
} s_run_t;

/*  ---- small helpers ---- */

static double
s_rel (s_run_t *run, uint64_t unix_ms)
{
    return ((double) unix_ms - (double) run->obs.t0) / 1000.0;
}

/*  A progress line: "[  12.3s] text" (or "[ setup ] text" before t0). */
static void
s_say (s_run_t *run, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_say (s_run_t *run, const char *format, ...)
{
    if (run->obs.t0)
        printf ("[%7.1fs] ", s_rel (run, zclock_time ()));
    else
        printf ("[ setup  ] ");
    va_list args;
    va_start (args, format);
    vprintf (format, args);
    va_end (args);
    printf ("\n");
    fflush (stdout);
}

static char *
s_hex (char out [NINES_ID_HEX], const uint8_t id [NINES_ID_BYTES])
{
    return nines_hex (out, id, NINES_ID_BYTES);
}

/*  Deterministic key for (role, index) from the scenario seed, so the same
    scenario gives the same ids (and committees) run after run. */
static void
s_key (s_run_t *run, const char *role, uint32_t index, nines_keypair_t *kp)
{
    uint8_t seed_le [8], index_le [8], seed [NINES_HASH_BYTES];
    nines_le64 (seed_le, run->sc->seed);
    nines_le64 (index_le, index);
    nines_hash (seed, 4, (const uint8_t *) "nines-sim/key/v1", (size_t) 16, seed_le, (size_t) 8,
                (const uint8_t *) role, strlen (role), index_le, (size_t) 8);
    nines_keypair_from_seed (kp, seed);
}

/*  A free TCP port on 127.0.0.1 below the ephemeral range, not handed out
    before in this run.  0 when none is found. */
static int
s_port (s_run_t *run)
{
    for (int attempt = 0; attempt < 2000; attempt++) {
        int port = 20000 + (int) nines_rng_uniform (&run->rng, 12000);
        bool used = false;
        for (size_t i = 0; i < run->n_ports && !used; i++)
            used = run->ports [i] == port;
        if (used)
            continue;
        int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                    .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
        bool free_port = fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
        if (fd >= 0)
            close (fd);
        if (!free_port)
            continue;
        run->ports [run->n_ports++] = port;
        return port;
    }
    return 0;
}

static int
s_endpoint (s_run_t *run, char out [SIM_ENDPOINT])
{
    int port = s_port (run);
    snprintf (out, SIM_ENDPOINT, "tcp://127.0.0.1:%d", port);
    return port ? NINES_OK : NINES_EUNAVAIL;
}

/*  True when something accepts TCP connections on 127.0.0.1:port. */
static bool
s_port_open (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    bool open = fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    if (fd >= 0)
        close (fd);
    return open;
}

/*  Find a sibling binary: $NINES_SIM_BINDIR/NAME, then the build tree
    (BUILD/sim/nines-sim -> BUILD/src/SUBDIR/NAME), then beside nines-sim
    (installed), then PATH. */
static int
s_find_bin (s_run_t *run, const char *name, const char *subdir, char out [SIM_PATH_MAX])
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

static int
s_write_file (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (!f)
        return NINES_EIO;
    fputs (text, f);
    return fclose (f) == 0 ? NINES_OK : NINES_EIO;
}

/*  ---- msgpack map reading (PUB frames and query replies) ---- */

static const msgpack_object *
s_get (const msgpack_object *map, const char *key)
{
    return nines_map_get (map, key);
}

static uint64_t
s_get_u64 (const msgpack_object *map, const char *key)
{
    const msgpack_object *o = s_get (map, key);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : 0;
}

static bool
s_get_bool (const msgpack_object *map, const char *key)
{
    const msgpack_object *o = s_get (map, key);
    if (o && o->type == MSGPACK_OBJECT_BOOLEAN)
        return o->via.boolean;
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64;
}

/*  An id given as bin 32 or as 64 hex characters. */
static bool
s_get_id (const msgpack_object *map, const char *key, uint8_t id [NINES_ID_BYTES])
{
    const msgpack_object *o = s_get (map, key);
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
static int
s_request_bool (const char *op, const char *key, bool value, uint8_t **out, size_t *len)
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
static int
s_call (const char *endpoint, uint8_t *req, size_t len, const char *what,
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
        const msgpack_object *ok = s_get (&msg.data, "ok");
        if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean)
            rc = NINES_OK;
        else {
            const msgpack_object *error = s_get (&msg.data, "error");
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
static int
s_wait_ready (s_run_t *run, sim_proc_t *proc, bool (*fn) (s_run_t *, void *), void *arg)
{
    int64_t deadline = zclock_mono () + SIM_READY_TIMEOUT;
    while (!s_interrupted && zclock_mono () < deadline) {
        sim_proc_t *died = NULL;
        if (sim_proc_reap (run->procs, run->n_procs, &died) || !proc->pid) {
            sim_proc_tail (died ? died : proc, 15);
            return NINES_EUNAVAIL;
        }
        if (fn (run, arg))
            return NINES_OK;
        zclock_sleep (100);
    }
    if (!s_interrupted) {
        fprintf (stderr, "nines-sim: %s did not come up within %d s\n", proc->name,
                 SIM_READY_TIMEOUT / 1000);
        sim_proc_tail (proc, 15);
    }
    return NINES_ETIMEOUT;
}

/*  Any reply at all on a ROUTER endpoint means the process serves. */
static bool
s_answers (s_run_t *run, void *endpoint)
{
    uint8_t *req, *reply = NULL;
    size_t len, reply_len;
    if (nines_ledger_req_simple ("status", NULL, &req, &len))
        return false;
    int rc = nines_request ((const char *) endpoint, req, len, 500, &reply, &reply_len);
    free (req);
    free (reply);
    return rc == NINES_OK;
}

static bool
s_listens (s_run_t *run, void *port)
{
    return s_port_open (*(int *) port);
}

/*  ---- setup ---- */

static void
s_add_proc (s_run_t *run, sim_proc_t *p)
{
    run->procs [run->n_procs++] = p;
}

/*  Write a child's config (dir/conf) and prepare `bin -c dir/conf` with
    its output in dir/logname. */
static int
s_child (s_run_t *run, sim_proc_t *proc, const char *name, const char *dir, const char *conf,
         const char *text, const char *logname, const char *bin)
{
    char path [SIM_PATH_MAX], log [SIM_PATH_MAX];
    snprintf (path, sizeof path, "%.*s/%s", SIM_SUBDIR_MAX, dir, conf);
    snprintf (log, sizeof log, "%.*s/%s", SIM_SUBDIR_MAX, dir, logname);
    int rc = s_write_file (path, text);
    const char *argv [] = { bin, "-c", path, NULL };
    if (!rc)
        rc = sim_proc_init (proc, name, log, argv);
    if (!rc)
        s_add_proc (run, proc);
    return rc;
}

/*  Keys, certificates, genesis registry snapshot, every config file. */
static int
s_prepare (s_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    char path [SIM_PATH_MAX], err [512];
    int rc;
    s_key (run, "ledger", 0, &run->ledger_kp);
    snprintf (path, sizeof path, "%s/ledger.key", run->dir);
    if ((rc = nines_keyfile_save (path, &run->ledger_kp)))
        return rc;
    if (s_endpoint (run, run->ledger_api) || s_endpoint (run, run->ledger_pub))
        return NINES_EUNAVAIL;

    /*  Genesis: the scenario's params only; validators and pods register
        through the signed API like real ones. */
    nines_registry_t *genesis = nines_registry_new ();
    if (!genesis)
        return NINES_ENOMEM;
    genesis->params = sc->params;
    uint8_t seed_le [8];
    nines_le64 (seed_le, sc->seed);
    nines_hash (genesis->params.genesis_seed, 2, (const uint8_t *) "nines-sim/genesis/v1",
                (size_t) 20, seed_le, (size_t) 8);
    snprintf (path, sizeof path, "%s/registry.zpl", run->dir);
    rc = nines_registry_save (genesis, path);
    nines_registry_destroy (&genesis);
    if (rc)
        return rc;
    char text [4096];
    snprintf (text, sizeof text,
        "#   written by nines-sim run\n"
        "ledger\n"
        "    data = \"%s/ledger-data\"\n"
        "    api = \"%s\"\n"
        "    pub = \"%s\"\n"
        "    key = \"%s/ledger.key\"\n"
        "    genesis = \"%s/registry.zpl\"\n",
        run->dir, run->ledger_api, run->ledger_pub, run->dir, run->dir);
    if ((rc = s_child (run, &run->ledger, "ledger", run->dir, "ledger.zpl", text, "ledger.log",
                       run->bin_ledger)))
        return rc;

    for (uint32_t i = 0; i < sc->providers; i++)
        s_key (run, "provider", i, &run->providers [i]);

    /*  validators.txt for the facades: every registered validator. */
    snprintf (path, sizeof path, "%s/validators.txt", run->dir);
    FILE *vf = fopen (path, "w");
    if (!vf)
        return NINES_EIO;
    fprintf (vf, "#   validator ids allowed to send heartbeats (nines-sim)\n");
    for (uint32_t i = 0; i < sc->validators; i++) {
        s_validator_t *v = &run->v [i];
        s_key (run, "validator", i, &v->kp);
        s_hex (run->obs.validator_ids [i], v->kp.pk);
        fprintf (vf, "%s\n", run->obs.validator_ids [i]);
        snprintf (v->dir, sizeof v->dir, "%s/validator-%u", run->dir, i);
        if (mkdir (v->dir, 0700))
            return NINES_EIO;
        snprintf (path, sizeof path, "%s/validator.key", v->dir);
        if ((rc = nines_keyfile_save (path, &v->kp)))
            return rc;
        if (s_endpoint (run, v->peer) || s_endpoint (run, v->query) || s_endpoint (run, v->pub))
            return NINES_EUNAVAIL;
        const char *behaviour = nines_scenario_behaviour (sc, i);
        run->obs.vstats [i].behaviour = behaviour;
        char behaviour_line [96] = "";
        if (behaviour)
            snprintf (behaviour_line, sizeof behaviour_line, "    behaviour = %s\n", behaviour);
        snprintf (text, sizeof text,
            "#   written by nines-sim run: validator %u\n"
            "node\n"
            "    key = \"%s/validator.key\"\n"
            "    data = \"%s/data\"\n"
            "    map_size = 67108864\n"
            "    peer = \"%s\"\n"
            "    query = \"%s\"\n"
            "    pub = \"%s\"\n"
            "    ledger = \"%s\"\n"
            "    ledger_pub = \"%s\"\n"
            "    registry_refresh = 5s\n"
            "    fault_hooks = 1\n"
            "%s",
            i, v->dir, v->dir, v->peer, v->query, v->pub, run->ledger_api, run->ledger_pub,
            behaviour_line);
        char name [32];
        snprintf (name, sizeof name, "validator-%u", i);
        if ((rc = s_child (run, &v->proc, name, v->dir, "ninesd.zpl", text, "ninesd.log", run->bin_ninesd)))
            return rc;
    }
    if (fclose (vf))
        return NINES_EIO;

    for (uint32_t i = 0; i < sc->pods; i++) {
        s_pod_t *p = &run->p [i];
        uint8_t seed_le8 [8], index_le [8];
        nines_le64 (seed_le8, sc->seed);
        nines_le64 (index_le, i);
        nines_hash (p->id, 3, (const uint8_t *) "nines-sim/pod/v1", (size_t) 16, seed_le8, (size_t) 8,
                    index_le, (size_t) 8);
        s_hex (run->obs.pod_ids [i], p->id);
        p->provider = i % sc->providers;
        s_key (run, "facade", i, &p->facade_kp);
        snprintf (p->dir, sizeof p->dir, "%s/pod-%u", run->dir, i);
        if (mkdir (p->dir, 0700))
            return NINES_EIO;
        snprintf (path, sizeof path, "%s/facade.key", p->dir);
        if ((rc = nines_keyfile_save (path, &p->facade_kp)))
            return rc;
        char key_path [SIM_PATH_MAX], cert_path [SIM_PATH_MAX];
        snprintf (key_path, sizeof key_path, "%s/pod.key", p->dir);
        snprintf (cert_path, sizeof cert_path, "%s/pod.crt", p->dir);
        if ((rc = sim_tls_make_cert (key_path, cert_path, p->pin, err, sizeof err))) {
            fprintf (stderr, "nines-sim: pod %u: %s\n", i, err);
            return rc;
        }
        p->app_port = s_port (run);
        p->facade_port = s_port (run);
        if (!p->app_port || !p->facade_port)
            return NINES_EUNAVAIL;
        char hex [NINES_ID_HEX];
        snprintf (text, sizeof text,
            "#   written by nines-sim run: pod %u\n"
            "facade\n"
            "    listen = 127.0.0.1:%d\n"
            "    cert = \"%s\"\n"
            "    key = \"%s\"\n"
            "    upstream = \"http://127.0.0.1:%d/\"\n"
            "    pod = %s\n"
            "    facade_key = \"%s/facade.key\"\n"
            "    validators = \"%s/validators.txt\"\n"
            "    health = forward\n"
            "    health_timeout = 1s\n"
            "    workers = 1\n",
            i, p->facade_port, cert_path, key_path, p->app_port, s_hex (hex, p->id), p->dir, run->dir);
        char name [32], log [SIM_PATH_MAX];
        snprintf (name, sizeof name, "facade-%u", i);
        if ((rc = s_child (run, &p->facade, name, p->dir, "facade.zpl", text, "facade.log", run->bin_facade)))
            return rc;
        snprintf (name, sizeof name, "app-%u", i);
        snprintf (log, sizeof log, "%s/app.log", p->dir);
        char port [16], pname [16];
        snprintf (port, sizeof port, "%d", p->app_port);
        snprintf (pname, sizeof pname, "pod-%u", i);
        const char *aargv [] = { run->bin_self, "demoapp", "--port", port, "--name", pname, NULL };
        if ((rc = sim_proc_init (&p->app, name, log, aargv)))
            return rc;
        s_add_proc (run, &p->app);
    }
    return NINES_OK;
}

/*  (Re-)register pod i, signed by its provider, with its current and/or
    its next SPKI pin and facade key (pin_rotation). */
static int
s_register_pod (s_run_t *run, uint32_t i, bool current, bool next)
{
    s_pod_t *p = &run->p [i];
    nines_pod_info_t info;
    memset (&info, 0, sizeof info);
    memcpy (info.pod, p->id, NINES_ID_BYTES);
    memcpy (info.provider, run->providers [p->provider].pk, NINES_ID_BYTES);
    snprintf (info.facade_url, sizeof info.facade_url, "https://127.0.0.1:%d/", p->facade_port);
    if (current) {
        memcpy (info.facade_keys [info.n_facade_keys++], p->facade_kp.pk, NINES_ID_BYTES);
        memcpy (info.spki_pins [info.n_spki_pins++], p->pin, NINES_HASH_BYTES);
    }
    if (next) {
        memcpy (info.facade_keys [info.n_facade_keys++], p->next_kp.pk, NINES_ID_BYTES);
        memcpy (info.spki_pins [info.n_spki_pins++], p->next_pin, NINES_HASH_BYTES);
    }
    info.stake = run->sc->pod_stake;
    strcpy (info.method, "GET");
    strcpy (info.path, "/");
    uint8_t *req;
    size_t len;
    int rc = nines_ledger_req_register_pod (&run->providers [p->provider], &info,
                                            (uint64_t) zclock_time (), &req, &len);
    if (rc)
        return rc;
    char what [64];
    snprintf (what, sizeof what, "register pod %u", i);
    return s_call (run->ledger_api, req, len, what, NULL, NULL);
}

/*  Register every validator and pod with the ledger's signed API. */
static int
s_register (s_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    uint8_t *req;
    size_t len;
    int rc;
    for (uint32_t i = 0; i < sc->validators; i++) {
        nines_validator_info_t info;
        memset (&info, 0, sizeof info);
        memcpy (info.id, run->v [i].kp.pk, NINES_ID_BYTES);
        info.stake = sc->stake;
        snprintf (info.endpoint, sizeof info.endpoint, "%s", run->v [i].peer);
        if ((rc = nines_ledger_req_register_validator (&run->v [i].kp, &info, (uint64_t) zclock_time (),
                                                       &req, &len)))
            return rc;
        char what [64];
        snprintf (what, sizeof what, "register validator %u", i);
        if ((rc = s_call (run->ledger_api, req, len, what, NULL, NULL)))
            return rc;
    }
    for (uint32_t i = 0; i < sc->pods; i++)
        if ((rc = s_register_pod (run, i, true, false)))
            return rc;
    return NINES_OK;
}

/*  (Re)start a pod's demo app, unhealthy from the start if a fault says so. */
static int
s_app_start (s_run_t *run, s_pod_t *p)
{
    snprintf (p->app.argv_buf [6], SIM_PATH_MAX, "--unhealthy");
    p->app.argc = p->sick_refs > 0 ? 7 : 6;
    return sim_proc_start (&p->app);
}

/*  Start everything in dependency order and wait for each to serve. */
static int
s_start (s_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    int rc;
    if ((rc = sim_proc_start (&run->ledger)))
        return rc;
    if ((rc = s_wait_ready (run, &run->ledger, s_answers, run->ledger_api)))
        return rc;
    s_say (run, "nines-ledger serves %s (PUB %s)", run->ledger_api, run->ledger_pub);
    zsock_connect (run->sub_ledger, "%s", run->ledger_pub);
    if ((rc = s_register (run)))
        return rc;
    s_say (run, "registered %u validators and %u pods (%u providers) with the ledger's signed API",
           sc->validators, sc->pods, sc->providers);
    for (uint32_t i = 0; i < sc->pods; i++)
        if ((rc = s_app_start (run, &run->p [i])) || (rc = sim_proc_start (&run->p [i].facade)))
            return rc;
    for (uint32_t i = 0; i < sc->pods; i++) {
        if ((rc = s_wait_ready (run, &run->p [i].app, s_listens, &run->p [i].app_port)))
            return rc;
        if ((rc = s_wait_ready (run, &run->p [i].facade, s_listens, &run->p [i].facade_port)))
            return rc;
    }
    s_say (run, "%u demo apps up, each behind its nines-facade (TLS, self-signed, SPKI-pinned)",
           sc->pods);
    for (uint32_t i = 0; i < sc->validators; i++) {
        zsock_connect (run->sub_nodes, "%s", run->v [i].pub);
        if ((rc = sim_proc_start (&run->v [i].proc)))
            return rc;
    }
    for (uint32_t i = 0; i < sc->validators; i++)
        if ((rc = s_wait_ready (run, &run->v [i].proc, s_answers, run->v [i].query)))
            return rc;
    uint32_t adversaries = sc->always_down + sc->always_up + sc->silent + sc->equivocate;
    s_say (run, "%u ninesd up (%u adversarial), following the ledger", sc->validators, adversaries);
    return NINES_OK;
}

/*  ---- timeline ---- */

static int
s_cmp_event (const void *a, const void *b)
{
    const s_event_t *x = (const s_event_t *) a, *y = (const s_event_t *) b;
    if (x->t_ms != y->t_ms)
        return x->t_ms < y->t_ms ? -1 : 1;
    if (x->on != y->on)
        return x->on ? 1 : -1;          /* ends before starts at the same instant */
    return x->fault < y->fault ? -1 : x->fault > y->fault;
}

static int
s_build_timeline (s_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    size_t cap = 0;
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        cap += 2 * (f->kind == NINES_FAULT_FLAP ? f->flaps : f->kind == NINES_FAULT_CORRELATED ? f->count
                  : f->kind == NINES_FAULT_PIN_ROTATION ? 2 : 1);
    }
    run->ev = (s_event_t *) calloc (cap ? cap : 1, sizeof *run->ev);
    if (!run->ev)
        return NINES_ENOMEM;
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        s_event_t e = { .t_ms = f->at_ms, .fault = (uint32_t) i, .index = f->pod };
        uint64_t end = f->at_ms + f->duration_ms;
        switch (f->kind) {
            case NINES_FAULT_APP_DOWN:      e.kind = EV_APP_DOWN; break;
            case NINES_FAULT_APP_UNHEALTHY: e.kind = EV_APP_SICK; break;
            case NINES_FAULT_FACADE_STOP:   e.kind = EV_FACADE_STOP; break;
            case NINES_FAULT_VALIDATOR_KILL:
                e.kind = EV_VAL_KILL;
                e.index = f->validator;
                if (!f->duration_ms)
                    end = UINT64_MAX;       /* never restarted */
                break;
            case NINES_FAULT_VALIDATOR_ISOLATE:
                e.kind = EV_VAL_ISOLATE;
                e.index = f->validator;
                break;
            case NINES_FAULT_LEDGER_KILL:
                e.kind = EV_LEDGER_KILL;
                e.index = 0;
                if (!f->duration_ms)
                    end = UINT64_MAX;       /* never restarted */
                break;
            case NINES_FAULT_PAID_UNTIL:    /* one request at `at`, no end */
                e.kind = EV_PAID_UNTIL;
                end = UINT64_MAX;
                break;
            case NINES_FAULT_MAINTENANCE:   /* announced at `at`, no end */
                e.kind = EV_MAINTENANCE;
                end = UINT64_MAX;
                break;
            case NINES_FAULT_CORRELATED:
                for (uint32_t k = 0; k < f->count; k++) {
                    e.kind = EV_APP_DOWN;
                    e.index = f->pod + k;
                    e.on = true, e.t_ms = f->at_ms, run->ev [run->n_ev++] = e;
                    e.on = false, e.t_ms = end, run->ev [run->n_ev++] = e;
                }
                continue;
            case NINES_FAULT_PIN_ROTATION:
                e.kind = EV_ROTATE;
                e.on = true;
                for (int step = f->announce ? ROT_ANNOUNCE : ROT_SWITCH; step <= ROT_RETIRE; step++) {
                    e.step = step;
                    e.t_ms = f->at_ms + (uint64_t) step * f->duration_ms / 2;
                    run->ev [run->n_ev++] = e;
                }
                continue;
            case NINES_FAULT_FLAP:
                for (uint32_t k = 0; k < f->flaps; k++) {
                    e.kind = EV_APP_DOWN;
                    uint64_t start = f->at_ms + k * (f->down_ms + f->up_ms);
                    e.on = true, e.t_ms = start, run->ev [run->n_ev++] = e;
                    e.on = false, e.t_ms = start + f->down_ms, run->ev [run->n_ev++] = e;
                }
                continue;
            default:
                continue;
        }
        e.on = true;
        run->ev [run->n_ev++] = e;
        if (end != UINT64_MAX) {
            e.on = false;
            e.t_ms = end;
            run->ev [run->n_ev++] = e;
        }
    }
    qsort (run->ev, run->n_ev, sizeof *run->ev, s_cmp_event);
    return NINES_OK;
}

/*  One line saying what is up right now. */
static void
s_say_status (s_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    uint32_t vup = 0, apps = 0, sick = 0, facades = 0;
    for (uint32_t i = 0; i < sc->validators; i++)
        vup += run->v [i].proc.pid > 0 && run->v [i].isolate_refs == 0;
    for (uint32_t i = 0; i < sc->pods; i++) {
        apps += run->p [i].app.pid > 0 && run->p [i].sick_refs == 0;
        sick += run->p [i].app.pid > 0 && run->p [i].sick_refs > 0;
        facades += run->p [i].facade.pid > 0 && !run->p [i].facade.stopped;
    }
    s_say (run, "  up: ledger %s, validators %u/%u, apps healthy %u/%u%s, facades %u/%u",
           run->ledger.pid ? "yes" : "NO", vup, sc->validators, apps, sc->pods,
           sick ? " (some answer 503)" : "", facades, sc->pods);
}

static void
s_isolate (s_run_t *run, uint32_t index, bool isolate)
{
    uint8_t *req;
    size_t len;
    char what [64];
    snprintf (what, sizeof what, "validator %u fault isolate=%s", index, isolate ? "true" : "false");
    if (s_request_bool ("fault", "isolate", isolate, &req, &len)
    ||  s_call (run->v [index].query, req, len, what, NULL, NULL)) {
        fprintf (stderr, "nines-sim: could not %s validator %u: ninesd needs node/fault_hooks = 1 "
                 "and the query op `fault` {isolate}\n", isolate ? "isolate" : "reconnect", index);
        run->errors++;
    }
}

/*  One step of a pin_rotation on pod i (PROTOCOL.md 10.2): announce
    registers the current and the next pin and facade key; switch moves the
    next certificate, TLS key and facade key over the files the facade
    reads and SIGHUPs it; retire registers the next ones only, which become
    the current ones.  0 or a NINES_E* code (logged). */
static int
s_rotate (s_run_t *run, uint32_t i, int step)
{
    s_pod_t *p = &run->p [i];
    char crt [SIM_PATH_MAX], key [SIM_PATH_MAX], fkey [SIM_PATH_MAX], err [512];
    snprintf (crt, sizeof crt, "%s/pod-next%u.crt", p->dir, p->rotations);
    snprintf (key, sizeof key, "%s/pod-next%u.key", p->dir, p->rotations);
    snprintf (fkey, sizeof fkey, "%s/facade-next%u.key", p->dir, p->rotations);
    int rc = NINES_OK;
    if (!p->has_next) {
        s_key (run, "facade-next", i * 1000 + p->rotations, &p->next_kp);
        if ((rc = sim_tls_make_cert (key, crt, p->next_pin, err, sizeof err))) {
            fprintf (stderr, "nines-sim: pod %u: %s\n", i, err);
            return rc;
        }
        if ((rc = nines_keyfile_save (fkey, &p->next_kp)))
            return rc;
        p->has_next = true;
    }
    if (step == ROT_ANNOUNCE)
        return s_register_pod (run, i, true, true);
    if (step == ROT_SWITCH) {
        char path [SIM_PATH_MAX];
        const char *from [] = { crt, key, fkey }, *to [] = { "pod.crt", "pod.key", "facade.key" };
        for (int k = 0; k < 3; k++) {
            snprintf (path, sizeof path, "%s/%s", p->dir, to [k]);
            if (rename (from [k], path)) {
                fprintf (stderr, "nines-sim: pod %u: cannot move %s to %s: %s\n", i, from [k], path,
                         strerror (errno));
                return NINES_EIO;
            }
        }
        sim_proc_signal (&p->facade, SIGHUP);
        return NINES_OK;
    }
    if ((rc = s_register_pod (run, i, false, true)))
        return rc;
    p->facade_kp = p->next_kp;
    memcpy (p->pin, p->next_pin, NINES_HASH_BYTES);
    p->has_next = false;
    p->rotations++;
    return NINES_OK;
}

/*  A provider-signed request of a fault (paid_until, maintenance) to the
    ledger, as a provider would send it; a refusal or a maintenance window
    not honoured counts as an error of the run (the ground truth assumes
    it holds). */
static void
s_provider_request (s_run_t *run, const s_event_t *e)
{
    const nines_fault_t *f = &run->sc->faults [e->fault];
    s_pod_t *p = &run->p [e->index];
    const nines_keypair_t *kp = &run->providers [p->provider];
    uint64_t now = (uint64_t) zclock_time ();
    uint8_t *req = NULL, *reply = NULL;
    size_t len = 0, reply_len = 0;
    int rc;
    char what [96];
    if (e->kind == EV_PAID_UNTIL) {
        uint64_t until = f->until_ms ? run->obs.t0 + f->until_ms : 0;
        snprintf (what, sizeof what, "pod %u paid_until %.1fs", e->index, f->until_ms / 1000.0);
        rc = nines_ledger_req_paid_until (kp, p->id, until, now, &req, &len);
    }
    else {
        snprintf (what, sizeof what, "pod %u maintenance [%.1fs, %.1fs)", e->index, f->start_ms / 1000.0,
                  (f->start_ms + f->duration_ms) / 1000.0);
        rc = nines_ledger_req_maintenance (kp, p->id, run->obs.t0 + f->start_ms,
                                           run->obs.t0 + f->start_ms + f->duration_ms, now, &req, &len);
    }
    if (!rc)
        rc = s_call (run->ledger_api, req, len, what, &reply, &reply_len);
    bool honoured = true;
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    size_t off = 0;
    if (!rc && reply && msgpack_unpack_next (&up, (const char *) reply, reply_len, &off) == MSGPACK_UNPACK_SUCCESS
    &&  s_get (&up.data, "honoured"))
        honoured = s_get_bool (&up.data, "honoured");
    msgpack_unpacked_destroy (&up);
    free (reply);
    if (rc || !honoured) {
        fprintf (stderr, "nines-sim: %s: %s\n", what, rc ? nines_strerror (rc)
                 : "not honoured by the ledger (params/notice, maint_budget)");
        run->errors++;
    }
    else
        s_say (run, "FAULT %s: %s, signed by its provider", nines_fault_kind_name (f->kind), what);
}

/*  Apply one timeline step (nesting: only the first start and the last
    end of overlapping faults on one target act). */
static void
s_apply (s_run_t *run, const s_event_t *e)
{
    const char *kind = nines_fault_kind_name (run->sc->faults [e->fault].kind);
    if (e->kind == EV_ROTATE) {
        static const char *const what [] = {
            "next SPKI pin and facade key registered beside the current ones",
            "facade switched to the next certificate and facade key (SIGHUP)",
            "current pin and facade key retired: the next ones only" };
        if (s_rotate (run, e->index, e->step))
            run->errors++;
        s_say (run, "FAULT %s: pod %u %s", kind, e->index, what [e->step]);
        return;
    }
    if (e->kind == EV_PAID_UNTIL || e->kind == EV_MAINTENANCE)
        s_provider_request (run, e);
    else
    if (e->kind == EV_LEDGER_KILL && e->on) {
        sim_proc_kill (&run->ledger);
        s_say (run, "FAULT %s: nines-ledger killed (SIGKILL)", kind);
    }
    else
    if (e->kind == EV_LEDGER_KILL) {
        if (sim_proc_start (&run->ledger) || s_wait_ready (run, &run->ledger, s_answers, run->ledger_api))
            run->errors++;
        s_say (run, "FAULT %s ends: nines-ledger restarted on its data", kind);
    }
    else
    if (e->kind == EV_VAL_KILL || e->kind == EV_VAL_ISOLATE) {
        s_validator_t *v = &run->v [e->index];
        int *refs = e->kind == EV_VAL_KILL ? &v->kill_refs : &v->isolate_refs;
        *refs += e->on ? 1 : -1;
        if (*refs != (e->on ? 1 : 0))
            return;
        if (e->kind == EV_VAL_KILL && e->on) {
            sim_proc_kill (&v->proc);
            s_say (run, "FAULT %s: validator %u killed (SIGKILL)", kind, e->index);
        }
        else
        if (e->kind == EV_VAL_KILL) {
            if (sim_proc_start (&v->proc))
                run->errors++;
            run->obs.vstats [e->index].restarts++;
            s_say (run, "FAULT %s ends: validator %u restarted on its data", kind, e->index);
        }
        else {
            s_isolate (run, e->index, e->on);
            s_say (run, "FAULT %s%s: validator %u %s", kind, e->on ? "" : " ends", e->index,
                   e->on ? "cut off from pods and peers" : "reconnected");
        }
    }
    else {
        s_pod_t *p = &run->p [e->index];
        int *refs = e->kind == EV_APP_DOWN ? &p->down_refs
                  : e->kind == EV_APP_SICK ? &p->sick_refs : &p->stop_refs;
        *refs += e->on ? 1 : -1;
        if (*refs != (e->on ? 1 : 0))
            return;
        const char *what = "";
        if (e->kind == EV_APP_DOWN && e->on)
            sim_proc_kill (&p->app), what = "demo app killed";
        else
        if (e->kind == EV_APP_DOWN) {
            if (s_app_start (run, p))
                run->errors++;
            what = "demo app restarted";
        }
        else
        if (e->kind == EV_APP_SICK)
            sim_proc_signal (&p->app, e->on ? SIGUSR1 : SIGUSR2),
            what = e->on ? "demo app answers 503" : "demo app healthy again";
        else {
            sim_proc_signal (&p->facade, e->on ? SIGSTOP : SIGCONT);
            p->facade.stopped = e->on;
            what = e->on ? "facade stopped (SIGSTOP)" : "facade continued (SIGCONT)";
        }
        s_say (run, "FAULT %s%s: pod %u %s", kind, e->on ? "" : " ends", e->index, what);
    }
    s_say_status (run);
}

/*  ---- the PUB streams ---- */

static long
s_pod_index (s_run_t *run, const uint8_t id [NINES_ID_BYTES])
{
    for (uint32_t i = 0; i < run->sc->pods; i++)
        if (memcmp (run->p [i].id, id, NINES_ID_BYTES) == 0)
            return i;
    return -1;
}

static long
s_validator_index (s_run_t *run, const uint8_t id [NINES_ID_BYTES])
{
    for (uint32_t i = 0; i < run->sc->validators; i++)
        if (memcmp (run->v [i].kp.pk, id, NINES_ID_BYTES) == 0)
            return i;
    return -1;
}

/*  A "report" frame from some ninesd: count each quorum report once. */
static void
s_on_report (s_run_t *run, const msgpack_object *map)
{
    const msgpack_object *bin = s_get (map, "report");
    nines_report_t *r = run->report;
    if (!bin || bin->type != MSGPACK_OBJECT_BIN
    ||  nines_report_decode ((const uint8_t *) bin->via.bin.ptr, bin->via.bin.size, r)) {
        s_say (run, "warning: a report frame without a decodable report");
        return;
    }
    uint8_t id [NINES_HASH_BYTES];
    nines_report_id (r, id);
    for (size_t i = 0; i < run->n_seen; i++)
        if (memcmp (run->seen [i], id, NINES_HASH_BYTES) == 0)
            return;
    uint8_t (*grown) [NINES_HASH_BYTES] = realloc (run->seen, (run->n_seen + 1) * NINES_HASH_BYTES);
    if (!grown)
        return;
    run->seen = grown;
    memcpy (run->seen [run->n_seen++], id, NINES_HASH_BYTES);
    long pod = s_pod_index (run, r->pod);
    bool down = r->kind == NINES_REPORT_DOWN;
    if (down)
        run->obs.reports_down++;
    else
        run->obs.reports_up++;
    for (uint16_t i = 0; i < r->n_votes; i++) {
        long v = s_validator_index (run, r->votes [i].body.validator);
        if (v >= 0) {
            if (down)
                run->obs.vstats [v].signed_down++;
            else
                run->obs.vstats [v].signed_up++;
        }
    }
    uint64_t now = (uint64_t) zclock_time ();
    if (down && pod >= 0)
        for (size_t i = 0; i < run->n_episodes; i++) {
            sim_episode_t *e = &run->episodes [i];
            int64_t t = (int64_t) r->t_ms - (int64_t) run->obs.t0;
            if (e->pod == (uint32_t) pod && !e->reported
            &&  sim_incident_matches (&run->sc->params, &e->truth, t))
                e->reported = now;
        }
    s_say (run, "report %s pod %ld: %u signed votes, observed at %.1fs (epoch %llu)",
           down ? "DOWN" : "UP", pod, r->n_votes, s_rel (run, r->t_ms), (unsigned long long) r->epoch);
}

/*  Insert or update an incident from a PUB frame or a query row. */
static sim_incident_t *
s_incident_put (s_run_t *run, const msgpack_object *map, bool *is_new, bool *changed)
{
    uint8_t pod_id [NINES_ID_BYTES];
    if (!s_get_id (map, "pod", pod_id))
        return NULL;
    long pod = s_pod_index (run, pod_id);
    uint64_t t_down = s_get_u64 (map, "t_down");
    if (pod < 0 || !t_down)
        return NULL;
    sim_observed_t *obs = &run->obs;
    sim_incident_t *inc = NULL;
    for (size_t i = 0; i < obs->n_incidents && !inc; i++)
        if (obs->incidents [i].pod == (uint32_t) pod && obs->incidents [i].t_down == t_down)
            inc = &obs->incidents [i];
    *is_new = !inc;
    if (!inc) {
        sim_incident_t *grown = realloc (obs->incidents, (obs->n_incidents + 1) * sizeof *grown);
        if (!grown)
            return NULL;
        obs->incidents = grown;
        inc = &obs->incidents [obs->n_incidents++];
        memset (inc, 0, sizeof *inc);
        inc->pod = (uint32_t) pod;
        inc->t_down = t_down;
        inc->first_seen = (uint64_t) zclock_time ();
        inc->episode = -1;
    }
    sim_incident_t before = *inc;
    inc->t_up = s_get_u64 (map, "t_up");
    inc->slashed = s_get_u64 (map, "slashed");
    inc->downtime_ms = s_get_u64 (map, "duration_ms");
    inc->correlated = s_get_bool (map, "correlated");
    const msgpack_object *open = s_get (map, "open");
    inc->open = open ? s_get_bool (map, "open") : inc->t_up == 0;
    if (changed)
        *changed = *is_new || before.t_up != inc->t_up || before.slashed != inc->slashed
                || before.correlated != inc->correlated || before.open != inc->open;
    return inc;
}

static void
s_on_incident (s_run_t *run, const msgpack_object *map)
{
    bool is_new, changed;
    sim_incident_t *inc = s_incident_put (run, map, &is_new, &changed);
    if (!inc) {
        s_say (run, "warning: an incident frame without a known pod and t_down");
        return;
    }
    if (!changed)
        return;
    if (inc->open)
        s_say (run, "INCIDENT pod %u %s: down since %.1fs, slashed %llu so far%s", inc->pod,
               is_new ? "opened" : "updated", s_rel (run, inc->t_down), (unsigned long long) inc->slashed,
               inc->correlated ? ", correlated (not slashed)" : "");
    else
        s_say (run, "INCIDENT pod %u closed: [%.1fs, %.1fs), downtime %.1fs, slashed %llu%s", inc->pod,
               s_rel (run, inc->t_down), s_rel (run, inc->t_up), inc->downtime_ms / 1000.0,
               (unsigned long long) inc->slashed, inc->correlated ? ", correlated" : "");
}

/*  Read every waiting frame on sock: [topic, msgpack map]. */
static void
s_drain (s_run_t *run, zsock_t *sock)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (sock))) {
        char *topic = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        msgpack_unpacked up;
        msgpack_unpacked_init (&up);
        size_t off = 0;
        if (topic && body && msgpack_unpack_next (&up, (const char *) zframe_data (body),
                                                  zframe_size (body), &off) == MSGPACK_UNPACK_SUCCESS) {
            if (strcmp (topic, "report") == 0)
                s_on_report (run, &up.data);
            else
            if (strcmp (topic, NINES_LEDGER_TOPIC_INCIDENT) == 0)
                s_on_incident (run, &up.data);
            else
            if (run->verbose)
                s_say (run, "ledger PUB %s", topic);
        }
        msgpack_unpacked_destroy (&up);
        zframe_destroy (&body);
        free (topic);
        zmsg_destroy (&msg);
    }
}

/*  Run the timeline until t0 + duration (or Ctrl-C, or the ledger dies). */
static int
s_play (s_run_t *run)
{
    size_t next = 0;
    uint64_t end = run->obs.t0 + run->sc->duration_ms;
    uint64_t last_status = run->obs.t0;
    while (!s_interrupted) {
        uint64_t now = (uint64_t) zclock_time ();
        while (next < run->n_ev && run->obs.t0 + run->ev [next].t_ms <= now)
            s_apply (run, &run->ev [next++]);
        if (now >= end)
            break;
        if (now - last_status >= 15000) {
            s_say_status (run);
            last_status = now;
        }
        uint64_t wake = end;
        if (next < run->n_ev && run->obs.t0 + run->ev [next].t_ms < wake)
            wake = run->obs.t0 + run->ev [next].t_ms;
        int timeout = (int) (wake - now < 200 ? wake - now : 200);
        void *which = zpoller_wait (run->poller, timeout);
        if (which)
            s_drain (run, (zsock_t *) which);
        sim_proc_t *died = NULL;
        if (sim_proc_reap (run->procs, run->n_procs, &died)) {
            sim_proc_tail (died, 15);
            if (died == &run->ledger)
                return NINES_EUNAVAIL;
            run->errors++;
        }
    }
    s_drain (run, run->sub_nodes);
    s_drain (run, run->sub_ledger);
    return s_interrupted ? NINES_ESTATE : NINES_OK;
}

/*  Replace what the PUB stream said with the ledger's own incident list. */
static void
s_final_incidents (s_run_t *run)
{
    uint8_t *req, *reply = NULL;
    size_t len, reply_len;
    if (nines_ledger_req_simple (NINES_LEDGER_OP_INCIDENTS, NULL, &req, &len)
    ||  s_call (run->ledger_api, req, len, "query incidents", &reply, &reply_len)) {
        s_say (run, "warning: using the incidents seen on the ledger PUB stream");
        return;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    size_t off = 0;
    if (msgpack_unpack_next (&up, (const char *) reply, reply_len, &off) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *rows = s_get (&up.data, "rows");
        for (uint32_t i = 0; rows && rows->type == MSGPACK_OBJECT_ARRAY && i < rows->via.array.size; i++) {
            bool is_new;
            sim_incident_t *inc = s_incident_put (run, &rows->via.array.ptr [i], &is_new, NULL);
            if (inc && is_new)
                s_say (run, "incident pod %u at %.1fs known to the ledger, never seen on its PUB",
                       inc->pod, s_rel (run, inc->t_down));
        }
    }
    msgpack_unpacked_destroy (&up);
    free (reply);
}

/*  Each running validator's own counters (ninesd query op `status`). */
static void
s_collect_status (s_run_t *run)
{
    for (uint32_t i = 0; i < run->sc->validators; i++) {
        if (!run->v [i].proc.pid || run->v [i].isolate_refs)
            continue;
        uint8_t *req, *reply = NULL;
        size_t len, reply_len;
        char what [48];
        snprintf (what, sizeof what, "validator %u status", i);
        if (nines_ledger_req_simple ("status", NULL, &req, &len)
        ||  s_call (run->v [i].query, req, len, what, &reply, &reply_len))
            continue;
        msgpack_unpacked up;
        msgpack_unpacked_init (&up);
        size_t off = 0;
        if (msgpack_unpack_next (&up, (const char *) reply, reply_len, &off) == MSGPACK_UNPACK_SUCCESS) {
            sim_vstats_t *vs = &run->obs.vstats [i];
            vs->have_status = true;
            vs->probes = s_get_u64 (&up.data, "probes");
            vs->probes_failed = s_get_u64 (&up.data, "probes_failed");
            vs->rounds_opened = s_get_u64 (&up.data, "rounds_opened");
            vs->votes_sent = s_get_u64 (&up.data, "votes_sent");
            vs->evidence_acked = s_get_u64 (&up.data, "evidence_acked");
        }
        msgpack_unpacked_destroy (&up);
        free (reply);
    }
}

/*  ---- main ---- */

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

/*  Keys only the discrete-event mode plays (fault/targets, spread,
    partition) would be silently ignored here and the ground truth would
    be wrong: refuse them, naming the fault and key.  0 or NINES_ECONFIG. */
static int
s_check_run_keys (const nines_scenario_t *sc)
{
    zconfig_t *root = nines_config_zconfig (sc->config);
    size_t index = 0;
    for (zconfig_t *s = zconfig_child (root); s; s = zconfig_next (s)) {
        if (strcmp (zconfig_name (s), "fault") != 0)
            continue;
        for (const char *const *key = (const char *const []) { "targets", "spread", "partition", NULL };
             *key; key++)
            if (zconfig_get (s, *key, NULL)) {
                fprintf (stderr, "nines-sim: %s: fault[%zu]/%s: expected no des-only key in a scenario "
                         "for run, got '%s' (use nines-sim des)\n", sc->path, index, *key,
                         zconfig_get (s, *key, NULL));
                return NINES_ECONFIG;
            }
        index++;
    }
    return NINES_OK;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: nines-sim run SCENARIO [--keep] [--out DIR] [-v]\n"
        "  --keep     keep the run directory (configs, keys, logs, LMDB) and print its path\n"
        "  --out DIR  where result.json and timeline.svg go (default sim-out/NAME)\n"
        "  -v         more progress output\n");
}

static int
s_alloc (s_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    size_t nproc = 1 + sc->validators + 2 * (size_t) sc->pods;
    run->v = calloc (sc->validators, sizeof *run->v);
    run->p = calloc (sc->pods, sizeof *run->p);
    run->providers = calloc (sc->providers, sizeof *run->providers);
    run->procs = calloc (nproc, sizeof *run->procs);
    run->ports = calloc (2 + 3 * (size_t) sc->validators + 2 * (size_t) sc->pods, sizeof *run->ports);
    run->report = malloc (sizeof *run->report);
    run->obs.pod_ids = calloc (sc->pods, sizeof *run->obs.pod_ids);
    run->obs.validator_ids = calloc (sc->validators, sizeof *run->obs.validator_ids);
    run->obs.vstats = calloc (sc->validators, sizeof *run->obs.vstats);
    run->obs.sc = sc;
    if (!run->v || !run->p || !run->providers || !run->procs || !run->ports || !run->report
    ||  !run->obs.pod_ids || !run->obs.validator_ids || !run->obs.vstats)
        return NINES_ENOMEM;
    return sim_episodes (sc, &run->episodes, &run->n_episodes);
}

static void
s_free (s_run_t *run)
{
    zpoller_destroy (&run->poller);
    zsock_destroy (&run->sub_nodes);
    zsock_destroy (&run->sub_ledger);
    for (uint32_t i = 0; run->v && i < run->sc->validators; i++)
        nines_keypair_wipe (&run->v [i].kp);
    free (run->v);
    free (run->p);
    free (run->providers);
    free (run->procs);
    free (run->ports);
    free (run->report);
    free (run->seen);
    free (run->ev);
    free (run->episodes);
    free (run->obs.pod_ids);
    free (run->obs.validator_ids);
    free (run->obs.vstats);
    free (run->obs.incidents);
    nines_scenario_destroy (&run->sc);
}

int
nines_sim_run_main (int argc, char **argv)
{
    s_run_t run_s, *run = &run_s;
    memset (run, 0, sizeof *run);
    const char *scenario = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--keep") == 0)
            run->keep = true;
        else
        if (strcmp (argv [i], "--out") == 0 && i + 1 < argc)
            out = argv [++i];
        else
        if (strcmp (argv [i], "-v") == 0)
            run->verbose = true;
        else
        if (strcmp (argv [i], "--help") == 0 || strcmp (argv [i], "-h") == 0) {
            s_usage (stdout);
            return 0;
        }
        else
        if (argv [i][0] != '-' && !scenario)
            scenario = argv [i];
        else {
            s_usage (stderr);
            return 2;
        }
    }
    if (!scenario) {
        s_usage (stderr);
        return 2;
    }
    run->sc = nines_sim_scenario_open (scenario);
    if (!run->sc)
        return 2;
    if (s_check_run_keys (run->sc)) {
        nines_scenario_destroy (&run->sc);
        return 2;
    }
    const nines_scenario_t *sc = run->sc;
    if (out && strlen (out) >= sizeof run->out) {
        fprintf (stderr, "nines-sim: --out: expected a path shorter than %d characters\n", SIM_DIR_MAX);
        nines_scenario_destroy (&run->sc);
        return 2;
    }
    if (out)
        snprintf (run->out, sizeof run->out, "%s", out);
    else
        snprintf (run->out, sizeof run->out, "sim-out/%s", sc->name);
    nines_crypto_init ();
    uint8_t rng_seed [32];
    nines_random (rng_seed, sizeof rng_seed);
    nines_rng_init (&run->rng, rng_seed);
    if (!realpath ("/proc/self/exe", run->bin_self)
    ||  s_find_bin (run, "nines-ledger", "ledger", run->bin_ledger)
    ||  s_find_bin (run, "ninesd", "node", run->bin_ninesd)
    ||  s_find_bin (run, "nines-facade", "facade", run->bin_facade)) {
        nines_scenario_destroy (&run->sc);
        return 1;
    }
    if (zsys_dir_create ("%s", run->out) != 0) {
        fprintf (stderr, "nines-sim: --out %s: cannot create the directory\n", run->out);
        nines_scenario_destroy (&run->sc);
        return 2;
    }

    /*  Signals: ours, not CZMQ's, so Ctrl-C ends the run in order. */
    zsys_handler_set (NULL);
    nines_sim_catch (s_on_signal, (const int []) { SIGINT, SIGTERM, SIGHUP, 0 });
    signal (SIGPIPE, SIG_IGN);

    int rc = s_alloc (run);
    const char *tmp = getenv ("TMPDIR");
    if (tmp && strlen (tmp) > SIM_DIR_MAX - 32)
        tmp = NULL;
    snprintf (run->dir, sizeof run->dir, "%s/nines-sim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!rc && !mkdtemp (run->dir)) {
        fprintf (stderr, "nines-sim: cannot create a directory in %s: %s\n",
                 tmp && *tmp ? tmp : "/tmp", strerror (errno));
        run->dir [0] = 0;
        rc = NINES_EIO;
    }
    if (!rc) {
        printf ("nines-sim run %s: %u validators, %u pods, %zu faults, %.0fs timeline\n",
                sc->name, sc->validators, sc->pods, sc->n_faults, sc->duration_ms / 1000.0);
        printf ("  run directory %s%s\n", run->dir, run->keep ? " (kept)" : " (removed at the end; --keep keeps it)");
        if (zconfig_locate (nines_config_zconfig (sc->config), "network"))
            printf ("  (the network section is for des: run uses loopback as it is)\n");
        run->sub_nodes = zsock_new_sub (NULL, "report");
        run->sub_ledger = zsock_new_sub (NULL, "");
        run->poller = run->sub_nodes && run->sub_ledger
                    ? zpoller_new (run->sub_nodes, run->sub_ledger, NULL) : NULL;
        if (!run->poller)
            rc = NINES_ENOMEM;
    }
    if (!rc) rc = s_prepare (run);
    if (!rc) rc = s_build_timeline (run);
    if (!rc) rc = s_start (run);
    if (!rc) {
        /*  Let membership settle and every pod be probed before t0. */
        uint64_t warm = 2 * sc->params.epoch_ms > 3000 ? 2 * sc->params.epoch_ms : 3000;
        s_say (run, "warming up for %.1fs (two epochs) before the timeline starts", warm / 1000.0);
        int64_t until = zclock_mono () + (int64_t) warm;
        while (!s_interrupted && zclock_mono () < until) {
            void *which = zpoller_wait (run->poller, 100);
            if (which)
                s_drain (run, (zsock_t *) which);
        }
        run->obs.t0 = (uint64_t) zclock_time ();
        s_say (run, "timeline starts: %zu fault steps over %.0fs", run->n_ev, sc->duration_ms / 1000.0);
        s_say_status (run);
        rc = s_play (run);
        run->obs.t_end = (uint64_t) zclock_time ();
        if (rc != NINES_EUNAVAIL && run->ledger.pid)
            s_final_incidents (run);
        if (!s_interrupted)
            s_collect_status (run);
        s_say (run, "timeline ends%s", rc ? " early" : "");
    }
    if (rc && s_interrupted)
        fprintf (stderr, "nines-sim: interrupted: stopping every process\n");
    else
    if (rc && rc != NINES_EUNAVAIL && rc != NINES_ETIMEOUT)
        fprintf (stderr, "nines-sim: run failed: %s\n", nines_strerror (rc));
    sim_proc_stop_all (run->procs, run->n_procs, 3000);

    int status = rc ? 1 : 0;
    if (run->obs.t0) {
        run->obs.aborted = rc != 0;
        int res = sim_result (&run->obs, run->episodes, run->n_episodes, run->out, stdout);
        char svg [SIM_PATH_MAX];
        snprintf (svg, sizeof svg, "%.*s/timeline.svg", SIM_DIR_MAX, run->out);
        if (sim_svg_write (&run->obs, run->episodes, svg))
            fprintf (stderr, "nines-sim: cannot write %s\n", svg), res = 1;
        else
            printf ("wrote %s/result.json and %s\n", run->out, svg);
        if (res || run->errors)
            status = 1;
        if (run->errors)
            printf ("%d fault or process error(s) during the run (see above)\n", run->errors);
    }
    if (run->dir [0] && !run->keep) {
        nftw (run->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
        if (status || rc)
            printf ("the run directory is removed: rerun with --keep to inspect every process's log\n");
    }
    else
    if (run->dir [0])
        printf ("kept %s (configs, keys, logs, LMDB data)\n", run->dir);
    s_free (run);
    return s_interrupted ? 130 : status;
}
