/*  nines-sim: the simulator's entry point.  Dispatches to a subcommand:
        run      real processes on loopback with fault injection (run.c)
        des      discrete-event mode over the same engine (des.c)
        check    validate a scenario and print its ground truth
        demoapp  the small HTTP app run behind each facade (demoapp.c) */
#include "sim.h"
#include "scenario.h"
#include "base/args.h"
#include "base/error.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: nines-sim COMMAND [ARGS]\n"
        "\n"
        "  run SCENARIO [--keep] [--out DIR] [-v]\n"
        "        start a ledger, validators, demo apps and facades on 127.0.0.1,\n"
        "        play the scenario's faults, compare detected incidents with the\n"
        "        ground truth; writes DIR/result.json and DIR/timeline.svg\n"
        "  des SCENARIO [--seed N] [--validators N] [--pods M] [--sweep N1,N2] [--out DIR]\n"
        "        the same scenario in discrete-event mode (thousands of validators)\n"
        "  check SCENARIO\n"
        "        validate a scenario file and print its ground-truth outages\n"
        "  demoapp --port N\n"
        "        the demo HTTP app (used by run; SIGUSR1 unhealthy, SIGUSR2 healthy)\n"
        "\n"
        "  -V, --version    the version;  -h, --help  this text\n"
        "Options also take --name=VALUE.\n"
        "Scenario files: sim/scenarios/*.zpl, format in sim/scenario.h.\n"
        "Exit status: 0 all expectations met, 1 an expectation failed or the run\n"
        "broke, 2 bad usage or bad scenario.\n");
}

static void
s_print_intervals (const char *what, uint32_t index, const nines_interval_t *iv, size_t n)
{
    printf ("  %s %u:", what, index);
    if (n == 0)
        printf (" never down");
    for (size_t i = 0; i < n; i++)
        printf (" [%.1fs, %.1fs)", iv [i].start_ms / 1000.0, iv [i].end_ms / 1000.0);
    printf ("\n");
}

/*  `check SCENARIO`: parse, validate, print what the timeline does. */
static int
s_check_main (int argc, char **argv)
{
    if (argc != 2 || argv [1][0] == '-') {
        fprintf (stderr, "usage: nines-sim check SCENARIO\n");
        return 2;
    }
    nines_scenario_t *sc = nines_sim_scenario_open (argv [1]);
    if (!sc)
        return 2;
    printf ("scenario %s: %u validators, %u pods (%u providers), %.1fs, %zu faults\n",
            sc->name, sc->validators, sc->pods, sc->providers, sc->duration_ms / 1000.0,
            sc->n_faults);
    int rc = 0;
    for (uint32_t p = 0; p < sc->pods && !rc; p++) {
        nines_interval_t *iv;
        size_t n;
        rc = nines_scenario_pod_truth (sc, p, &iv, &n);
        if (!rc)
            s_print_intervals ("pod", p, iv, n);
        free (iv);
    }
    for (uint32_t v = 0; v < sc->validators && !rc; v++) {
        nines_interval_t *iv;
        size_t n;
        rc = nines_scenario_validator_truth (sc, v, &iv, &n);
        const char *behaviour = nines_scenario_behaviour (sc, v);
        if (!rc && (n || behaviour)) {
            s_print_intervals ("validator", v, iv, n);
            if (behaviour)
                printf ("    behaviour %s\n", behaviour);
        }
        free (iv);
    }
    nines_scenario_destroy (&sc);
    if (rc)
        fprintf (stderr, "nines-sim: %s\n", nines_strerror (rc));
    return rc ? 1 : 0;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stderr);
        return 2;
    }
    argv = nines_args_expand (&argc, argv);     /* --name=VALUE */
    const char *cmd = argv [1];
    if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0 || (strcmp (cmd, "help") == 0 && argc == 2)) {
        s_usage (stdout);
        return 0;
    }
    if (nines_arg_flag (cmd, "-V", "--version")) {
        nines_print_version (stdout, "nines-sim");
        return 0;
    }
    /*  Per-command help: "nines-sim CMD --help" or "nines-sim help CMD"
        (run has a usage of its own). */
    const char *help_for = !strcmp (cmd, "help") && argc > 2 ? argv [2] : NULL;
    for (int i = 2; i < argc && !help_for && strcmp (cmd, "run"); i++)
        if (nines_arg_flag (argv [i], "-h", "--help"))
            help_for = cmd;
    if (help_for) {
        int found = nines_usage_help (s_usage, help_for, stdout);
        return found && !strcmp (cmd, "help") ? 2 : 0;
    }
    if (strcmp (cmd, "run") == 0)
        return nines_sim_run_main (argc - 1, argv + 1);
    if (strcmp (cmd, "des") == 0) {
        /* Ten thousand engines touch gigabytes at random: ask glibc's
           malloc for transparent huge pages (fewer TLB misses; des-10k
           ran 10 % faster), which only an environment tunable read at
           start-up can do, so start again with it once. */
        if (!getenv ("GLIBC_TUNABLES") && setenv ("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1) == 0)
            execv ("/proc/self/exe", argv);
        return nines_sim_des_main (argc - 1, argv + 1);
    }
    if (strcmp (cmd, "check") == 0)
        return s_check_main (argc - 1, argv + 1);
    if (strcmp (cmd, "demoapp") == 0)
        return nines_sim_demoapp_main (argc - 1, argv + 1);
    fprintf (stderr, "nines-sim: unknown command '%s' (try --help)\n", cmd);
    return 2;
}
