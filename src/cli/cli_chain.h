/*  ninesctl's chain back end (cli_chain.c): the ledger commands against
    the uptime staking contract (proto/CHAIN.md), printed through the same
    reply printer as nines-ledger's (cli.h nines_cli_print_reply). */
#ifndef NINES_CLI_CHAIN_H
#define NINES_CLI_CHAIN_H

#include <stdbool.h>
#include <stdio.h>

/*  True when argv [1..argc) has --chain, --contract or --chain-key: the
    command goes to the chain back end. */
bool nines_cli_chain_wanted (int argc, char **argv);

/*  Run the chain command of argv (argv [0] the program; the command may
    follow the global options: "--chain URL --contract ADDR pods --json").
    Commands: registry, validators, pods, incidents, slashes (also with the
    ledger- prefix), register-validator, register-pod, paid-until,
    maintenance.  Returns the exit code: 0 ok, 1 refused (the contract's
    error printed) or a runtime failure, 2 usage or configuration, 3 the
    node unreachable. */
int nines_cli_chain_main (int argc, char **argv);

/*  The chain section of ninesctl --help (and of CMD --help with --chain). */
void nines_cli_chain_usage (FILE *out);

#endif
