#   pin-rotation (issue 11 item 5): pod 1 rotates its TLS key and its
#   facade key the way PROTOCOL.md section 10.2 says: at 10 s it registers
#   the next SPKI pin and facade key beside the current ones, at 25 s its
#   facade reloads (SIGHUP) with the next certificate, TLS key and facade
#   key, at 40 s it registers the next ones only.  A rotation is no outage:
#   nothing may be reported for pod 1.  With one pin per pod this reported
#   pod 1 down about a minute after the reload and slashed its provider;
#   `announce = 0` in the fault plays that naive order (switch, then
#   register the new pin) and gets the false incident back.
#   Meanwhile pod 0's app dies for 40 s, so the run also shows that the
#   validators were watching: that outage is detected and slashed exactly
#   for what its reports prove, and within 3 % of stake x max_slash x
#   S(40 s) for the true outage (the fast-probing parameters and the
#   d_mid 20 s curve of ledger-restart).  With announce = 0 pod 1 is
#   reported down from 25.4 s to 40.1 s and slashed 28,585 of 1,000,000.
scenario
    name = pin-rotation
    seed = 5
    duration = 70s
    validators = 5
    pods = 3
    providers = 3
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
    at = 10s
    kind = pin_rotation
    pod = 1
    duration = 30s
fault
    at = 10s
    kind = app_down
    pod = 0
    duration = 40s
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    max_latency = 5s
    slash_within = 3%
    slash_evidenced = 0
