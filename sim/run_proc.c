/*  nines-sim run: child processes.

    Every child goes into one process group of its own (not the
    simulator's), so a Ctrl-C in the terminal reaches only the simulator,
    which then ends them in order; each child also carries
    PR_SET_PDEATHSIG = SIGKILL, so even a simulator killed with SIGKILL
    leaves no orphan.  sim_proc_stop_all finishes with a SIGKILL to the
    whole group for anything a child forked itself. */
#include "run.h"
#include "base/error.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t s_group = 0;               /* child process group, 0 before the first child */

int
sim_proc_init (sim_proc_t *p, const char *name, const char *log, const char *const *argv)
{
    memset (p, 0, sizeof *p);
    snprintf (p->name, sizeof p->name, "%s", name);
    if (snprintf (p->log, sizeof p->log, "%s", log) >= (int) sizeof p->log)
        return NINES_ETOOBIG;
    for (p->argc = 0; argv [p->argc]; p->argc++) {
        if (p->argc == SIM_ARGV_MAX - 1)
            return NINES_ETOOBIG;
        if (snprintf (p->argv_buf [p->argc], SIM_PATH_MAX, "%s", argv [p->argc]) >= SIM_PATH_MAX)
            return NINES_ETOOBIG;
    }
    return NINES_OK;
}

int
sim_proc_start (sim_proc_t *p)
{
    if (p->pid)
        return NINES_OK;
    /*  Everything the child needs is prepared before fork: between fork
        and exec only async-signal-safe calls. */
    char *argv [SIM_ARGV_MAX];
    for (int i = 0; i < p->argc; i++)
        argv [i] = p->argv_buf [i];
    argv [p->argc] = NULL;
    int log = open (p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || null < 0) {
        if (log >= 0) close (log);
        if (null >= 0) close (null);
        return NINES_EIO;
    }
    pid_t parent = getpid ();
    pid_t group = s_group;
    pid_t pid = fork ();
    if (pid == 0) {
        if (setpgid (0, group) != 0)
            setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        signal (SIGPIPE, SIG_DFL);
        signal (SIGINT, SIG_DFL);
        signal (SIGTERM, SIG_DFL);
        dup2 (null, 0);
        dup2 (log, 1);
        dup2 (log, 2);
        execv (argv [0], argv);
        static const char msg [] = "nines-sim: exec failed\n";
        if (write (2, msg, sizeof msg - 1) < 0)
            _exit (127);
        _exit (127);
    }
    close (log);
    close (null);
    if (pid < 0)
        return NINES_EIO;
    /*  Also from the parent, so the group exists before we signal it. */
    if (setpgid (pid, group) != 0 && group != 0) {
        setpgid (pid, 0);
        group = 0;
    }
    if (group == 0)
        s_group = pid;
    p->pid = pid;
    p->stopping = false;
    p->stopped = false;
    p->starts++;
    return NINES_OK;
}

int
sim_proc_run (sim_proc_t *p, int timeout_ms)
{
    int rc = sim_proc_start (p);
    if (rc)
        return rc;
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    int64_t deadline = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
    int status = 0;
    while (true) {
        pid_t got = waitpid (p->pid, &status, WNOHANG);
        if (got == p->pid)
            break;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        if (got < 0 && errno != EINTR)
            return NINES_EIO;
        if ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= deadline) {
            sim_proc_kill (p);
            return NINES_ETIMEOUT;
        }
        usleep (50000);
    }
    p->pid = 0;
    p->last_status = status;
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

void
sim_proc_signal (sim_proc_t *p, int sig)
{
    if (p->pid > 0)
        kill (p->pid, sig);
}

void
sim_proc_kill (sim_proc_t *p)
{
    if (p->pid <= 0)
        return;
    p->stopping = true;
    kill (p->pid, SIGKILL);
    int status;
    while (waitpid (p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    p->last_status = status;
    p->pid = 0;
    p->stopped = false;
}

static void
s_describe (int status, char *buf, size_t size)
{
    if (WIFEXITED (status))
        snprintf (buf, size, "exit status %d", WEXITSTATUS (status));
    else
    if (WIFSIGNALED (status))
        snprintf (buf, size, "killed by signal %d (%s)", WTERMSIG (status), strsignal (WTERMSIG (status)));
    else
        snprintf (buf, size, "status 0x%x", status);
}

int
sim_proc_reap (sim_proc_t **procs, size_t n, sim_proc_t **died)
{
    int unexpected = 0;
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < n; i++) {
            sim_proc_t *p = procs [i];
            if (p->pid != pid)
                continue;
            p->pid = 0;
            p->last_status = status;
            p->stopped = false;
            if (!p->stopping) {
                char what [96];
                s_describe (status, what, sizeof what);
                fprintf (stderr, "nines-sim: %s exited unexpectedly (%s); log: %s\n",
                         p->name, what, p->log);
                unexpected++;
                if (died)
                    *died = p;
            }
        }
    return unexpected;
}

static uint64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void
sim_proc_stop_all (sim_proc_t **procs, size_t n, int grace_ms)
{
    for (size_t i = 0; i < n; i++)
        if (procs [i]->pid > 0) {
            procs [i]->stopping = true;
            kill (procs [i]->pid, SIGTERM);
            if (procs [i]->stopped)
                kill (procs [i]->pid, SIGCONT);
        }
    uint64_t deadline = s_now_ms () + (uint64_t) grace_ms;
    while (true) {
        sim_proc_reap (procs, n, NULL);
        size_t alive = 0;
        for (size_t i = 0; i < n; i++)
            alive += procs [i]->pid > 0;
        if (alive == 0 || s_now_ms () >= deadline)
            break;
        usleep (20000);
    }
    for (size_t i = 0; i < n; i++)
        sim_proc_kill (procs [i]);
    if (s_group > 0)
        kill (-s_group, SIGKILL);
    while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
}

void
sim_proc_tail (const sim_proc_t *p, int lines)
{
    FILE *f = fopen (p->log, "r");
    if (!f)
        return;
    char *ring [64] = { NULL };
    if (lines > 64)
        lines = 64;
    int at = 0, count = 0;
    char buf [1024];
    while (fgets (buf, sizeof buf, f)) {
        free (ring [at]);
        ring [at] = strdup (buf);
        at = (at + 1) % lines;
        count++;
    }
    fclose (f);
    fprintf (stderr, "---- last lines of %s ----\n", p->log);
    int first = count < lines ? 0 : at;
    for (int i = 0; i < lines && i < count; i++) {
        const char *line = ring [(first + i) % lines];
        fputs (line ? line : "", stderr);
    }
    for (int i = 0; i < 64; i++)
        free (ring [i]);
}
