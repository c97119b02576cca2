#   ledger-restart (issue 11 item 1): the demo app of pod 0 is down from
#   8 s to 48 s; nines-ledger is killed (SIGKILL) at 44 s, shortly before
#   the pod recovers, and restarted on its data at 60 s, after the UP
#   report formed (validators keep it in their outboxes and re-submit).
#   The ledger's own downtime must not become the provider's: the slash
#   must equal stake x max_slash x S(d) for the downtime d its DOWN and UP
#   reports prove, exactly (slash_evidenced), and lie within 3 % of
#   S(40 s) for the true outage (slash_within: what detection latency at
#   both ends may cost, about 2 s here; max_latency bounds the start).
#   Before the fix
#   the restarted ledger topped the open incident up to its own clock
#   (52 s of "downtime") before the UP evidence arrived, and kept it.
#   Probing is fast (1 s epochs, every validator probes every pod each
#   epoch, 100 ms delays and vote windows, 250 ms down probes) so the
#   reports' times are within a few hundred ms of the true ones, and the
#   slashing curve is scaled to seconds (d_mid 20 s, s 10 s: S(40 s) =
#   0.86) so that a second of error is about 1.4 % of the slash.
scenario
    name = ledger-restart
    seed = 11
    duration = 75s
    validators = 5
    pods = 3
    providers = 3
    stake = 1000000
    pod_stake = 1000000
params
    epoch = 1s
    r = 5
    committee = 5
    theta = 0.6667
    probe_timeout = 1s
    retry_delay = 100ms
    vote_delay = 100ms
    vote_window = 100ms
    round_timeout = 3s
    down_probe = 250ms
    down_confirm = 5s
    grace = 10s
    d_mid = 20s
    s = 10s
    merge_min = 30s
    corr_window = 10s
    canary_window = 10s
fault
    at = 8s
    kind = app_down
    pod = 0
    duration = 40s
fault
    at = 44s
    kind = ledger_kill
    duration = 16s
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    max_latency = 5s
    slash_within = 3%
    slash_evidenced = 0
