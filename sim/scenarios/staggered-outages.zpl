#   staggered-outages: issue 11 item 2.  Five validators watch 4 pods of 2
#   providers; the demo apps of pods 0, 1 and 2 die 10 s apart, each for
#   60 s: independent outages (2 providers, so never correlated).  Every
#   outage must be reported at the speed of a single one and slashed for
#   its true length.  Before the fix, the failures recorded for the two
#   pods already reported down stayed in every validator's self-health
#   window, so the third outage made all of them doubt their own network
#   (degraded: abstain, open no round): it was reported late and slashed
#   for a shorter outage (here 7.8 s late and 95 916 slashed, against
#   97 958 for the true 60 s; after the fix 0.9 s and 97 865, and with
#   the later vote attempts 1.6 s and 97 760, within 0.4 %).  The
#   slashing curve is steep early and flat at 60 s (d_mid 20 s, s 10 s:
#   S(60 s) = 0.980, S(45 s) = 0.914): max_latency (5 s) catches the
#   late detection above, slash_evidenced checks each slash is exactly
#   what its reports prove, and slash_within (3 %) what latency at both
#   ends may cost.
scenario
    name = staggered-outages
    seed = 11
    duration = 105s
    validators = 5
    pods = 4
    providers = 2
    stake = 1000000
    pod_stake = 1000000
params
    epoch = 2s
    r = 3
    committee = 5
    theta = 0.6667
    probe_timeout = 1s
    retry_delay = 500ms
    vote_delay = 500ms
    round_timeout = 5s
    down_probe = 1s
    grace = 10s
    d_mid = 20s
    s = 10s
    merge_min = 30s
    corr_window = 20s
    canary_window = 10s
fault
    at = 10s
    kind = app_down
    pod = 0
    duration = 60s
fault
    at = 20s
    kind = app_down
    pod = 1
    duration = 60s
fault
    at = 30s
    kind = app_down
    pod = 2
    duration = 60s
expect
    incidents = 3
    false_incidents = 0
    slashed = 3
    max_latency = 5s
    slash_within = 3%
    slash_evidenced = 0
