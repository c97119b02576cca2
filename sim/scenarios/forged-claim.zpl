#   forged-claim: a validator forges a claim on the chain and is proven
#   wrong.  The quickstart-evm network with no outage; validator 0 also
#   runs evm/adversary = forge-claim (src/node/chain_forge.c): once the
#   registrations are in force it claims a DOWN and an UP of a pod nobody
#   saw down, with its own vote and three forged ones (four of five equal
#   stakes reach theta 2/3).  The honest ninesd watch every claim
#   (src/node/chain_watch.c): one proves a forged vote with
#   challengeSignature while the claim is pending, the claim is voided,
#   the challenger is owed exactly bond + fraud_slash x the forger's stake
#   (1,000 + 10 % of 1,000,000 = 101,000 units), no pod is slashed, and
#   nines-ledger refuses the same reports (slash 0 there too).
scenario
    name = forged-claim
    seed = 1
    duration = 30s
    validators = 5
    pods = 3
    providers = 3
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
    d_mid = 2m
    s = 30s
    merge_min = 30s
    corr_window = 20s
    canary_window = 10s
network
    ledger = evm
    challenge_window = 8s
    bond = 1000
    fraud_slash = 10%
adversaries
    forge_claim = 1
expect
    incidents = 0
    false_incidents = 0
    slashed = 0
    voided = 1
    challenge_paid = 101000
    slash_ledger = 0
