/*  Placeholder for the ledger command group until src/cli/cli_ledger.c
    lands (src/cli/meson.build picks cli_ledger.c when it exists and this
    file otherwise).  The ledger helper owns the real one. */
#include "cli/cli.h"

bool
nines_cli_ledger_has (const char *cmd)
{
    (void) cmd;
    return false;
}

int
nines_cli_ledger_main (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    return 2;
}

void
nines_cli_ledger_usage (FILE *out)
{
    (void) out;
}
