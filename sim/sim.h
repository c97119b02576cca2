/*  nines-sim subcommand entry points.  main.c dispatches `nines-sim CMD
    ARGS...` to one of these with argv[0] = CMD; each returns the process
    exit status (0 success, 1 expectation failed or run error, 2 usage or
    bad input). */
#ifndef NINES_SIM_H
#define NINES_SIM_H

#include "scenario.h"

/*  `run SCENARIO [--keep] [--out DIR]`: real processes on loopback (run.c). */
int nines_sim_run_main (int argc, char **argv);

/*  `des SCENARIO [--seed N] ...`: discrete-event mode (des.c). */
int nines_sim_des_main (int argc, char **argv);

/*  `demoapp --port N [--unhealthy]`: the small HTTP app that stands for a
    pod behind a facade (demoapp.c). */
int nines_sim_demoapp_main (int argc, char **argv);

#endif
