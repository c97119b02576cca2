/*  nines-sim run: the scenario's faults as a timeline of steps, and
    applying each.  app_down kills the demo app and restarts it;
    app_unhealthy makes it answer 503 (SIGUSR1/SIGUSR2); facade_stop
    SIGSTOPs the facade and SIGCONTs it; validator_kill SIGKILLs a ninesd
    and restarts it on the same data; validator_isolate uses ninesd's query
    op `fault` {isolate} (node/fault_hooks = 1): the daemon drops its peer
    traffic and fails its heartbeats, as if its network were cut, without
    needing root for network namespaces; ledger_kill, paid_until,
    maintenance and pin_rotation act on the ledger and the facades.
    Overlapping faults on one target nest. */
#include "run_private.h"
#include "base/error.h"
#include "client/ledger_client.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
s_cmp_event (const void *a, const void *b)
{
    const sim_event_t *x = (const sim_event_t *) a, *y = (const sim_event_t *) b;
    if (x->t_ms != y->t_ms)
        return x->t_ms < y->t_ms ? -1 : 1;
    if (x->on != y->on)
        return x->on ? 1 : -1;          /* ends before starts at the same instant */
    return x->fault < y->fault ? -1 : x->fault > y->fault;
}

int
run_build_timeline (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    size_t cap = 0;
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        cap += 2 * (f->kind == NINES_FAULT_FLAP ? f->flaps : f->kind == NINES_FAULT_CORRELATED ? f->count
                  : f->kind == NINES_FAULT_PIN_ROTATION ? 2 : 1);
    }
    run->ev = (sim_event_t *) calloc (cap ? cap : 1, sizeof *run->ev);
    if (!run->ev)
        return NINES_ENOMEM;
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        sim_event_t e = { .t_ms = f->at_ms, .fault = (uint32_t) i, .index = f->pod };
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
void
run_say_status (sim_run_t *run)
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
    run_say (run, "  up: %s %s, validators %u/%u, apps healthy %u/%u%s, facades %u/%u",
           run->chain ? "chain" : "ledger", (run->chain ? run->anvil.pid : run->ledger.pid) ? "yes" : "NO", vup, sc->validators, apps, sc->pods,
           sick ? " (some answer 503)" : "", facades, sc->pods);
}

static void
s_isolate (sim_run_t *run, uint32_t index, bool isolate)
{
    uint8_t *req;
    size_t len;
    char what [64];
    snprintf (what, sizeof what, "validator %u fault isolate=%s", index, isolate ? "true" : "false");
    if (run_request_bool (NINES_NODE_OP_FAULT, "isolate", isolate, &req, &len)
    ||  run_call (run->v [index].query, req, len, what, NULL, NULL)) {
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
s_rotate (sim_run_t *run, uint32_t i, int step)
{
    sim_pod_t *p = &run->p [i];
    char crt [SIM_PATH_MAX], key [SIM_PATH_MAX], fkey [SIM_PATH_MAX], err [512];
    snprintf (crt, sizeof crt, "%s/pod-next%u.crt", p->dir, p->rotations);
    snprintf (key, sizeof key, "%s/pod-next%u.key", p->dir, p->rotations);
    snprintf (fkey, sizeof fkey, "%s/facade-next%u.key", p->dir, p->rotations);
    int rc = NINES_OK;
    if (!p->has_next) {
        run_key (run, "facade-next", i * 1000 + p->rotations, &p->next_kp);
        if ((rc = sim_tls_make_cert (key, crt, p->next_pin, err, sizeof err))) {
            fprintf (stderr, "nines-sim: pod %u: %s\n", i, err);
            return rc;
        }
        if ((rc = nines_keyfile_save (fkey, &p->next_kp)))
            return rc;
        p->has_next = true;
    }
    if (step == ROT_ANNOUNCE)
        return run_register_pod (run, i, true, true);
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
    if ((rc = run_register_pod (run, i, false, true)))
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
s_provider_request (sim_run_t *run, const sim_event_t *e)
{
    const nines_fault_t *f = &run->sc->faults [e->fault];
    sim_pod_t *p = &run->p [e->index];
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
        rc = run_call (run->ledger_api, req, len, what, &reply, &reply_len);
    bool honoured = true;
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    size_t off = 0;
    if (!rc && reply && msgpack_unpack_next (&up, (const char *) reply, reply_len, &off) == MSGPACK_UNPACK_SUCCESS
    &&  nines_map_get (&up.data, "honoured"))
        honoured = run_get_bool (&up.data, "honoured");
    msgpack_unpacked_destroy (&up);
    free (reply);
    if (rc || !honoured) {
        fprintf (stderr, "nines-sim: %s: %s\n", what, rc ? nines_strerror (rc)
                 : "not honoured by the ledger (params/notice, maint_budget)");
        run->errors++;
    }
    else
        run_say (run, "FAULT %s: %s, signed by its provider", nines_fault_kind_name (f->kind), what);
}

/*  Apply one timeline step (nesting: only the first start and the last
    end of overlapping faults on one target act). */
void
run_apply (sim_run_t *run, const sim_event_t *e)
{
    const char *kind = nines_fault_kind_name (run->sc->faults [e->fault].kind);
    if (e->kind == EV_ROTATE) {
        static const char *const what [] = {
            "next SPKI pin and facade key registered beside the current ones",
            "facade switched to the next certificate and facade key (SIGHUP)",
            "current pin and facade key retired: the next ones only" };
        if (s_rotate (run, e->index, e->step))
            run->errors++;
        run_say (run, "FAULT %s: pod %u %s", kind, e->index, what [e->step]);
        return;
    }
    if (e->kind == EV_PAID_UNTIL || e->kind == EV_MAINTENANCE)
        s_provider_request (run, e);
    else
    if (e->kind == EV_LEDGER_KILL && e->on) {
        sim_proc_kill (&run->ledger);
        run_say (run, "FAULT %s: nines-ledger killed (SIGKILL)", kind);
    }
    else
    if (e->kind == EV_LEDGER_KILL) {
        if (sim_proc_start (&run->ledger) || run_wait_ready (run, &run->ledger, run_answers, run->ledger_api))
            run->errors++;
        run_say (run, "FAULT %s ends: nines-ledger restarted on its data", kind);
    }
    else
    if (e->kind == EV_VAL_KILL || e->kind == EV_VAL_ISOLATE) {
        sim_validator_t *v = &run->v [e->index];
        int *refs = e->kind == EV_VAL_KILL ? &v->kill_refs : &v->isolate_refs;
        *refs += e->on ? 1 : -1;
        if (*refs != (e->on ? 1 : 0))
            return;
        if (e->kind == EV_VAL_KILL && e->on) {
            sim_proc_kill (&v->proc);
            run_say (run, "FAULT %s: validator %u killed (SIGKILL)", kind, e->index);
        }
        else
        if (e->kind == EV_VAL_KILL) {
            if (sim_proc_start (&v->proc))
                run->errors++;
            run->obs.vstats [e->index].restarts++;
            run_say (run, "FAULT %s ends: validator %u restarted on its data", kind, e->index);
        }
        else {
            s_isolate (run, e->index, e->on);
            run_say (run, "FAULT %s%s: validator %u %s", kind, e->on ? "" : " ends", e->index,
                   e->on ? "cut off from pods and peers" : "reconnected");
        }
    }
    else {
        sim_pod_t *p = &run->p [e->index];
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
            if (run_app_start (run, p))
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
        run_say (run, "FAULT %s%s: pod %u %s", kind, e->on ? "" : " ends", e->index, what);
    }
    run_say_status (run);
}
