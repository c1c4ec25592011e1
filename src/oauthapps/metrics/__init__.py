"""Prometheus metrics, with the official client library in its multi-process mode: each worker of
``serve --workers N`` writes its values to files in one private directory that the supervisor
makes (multiprocess.py), and a scrape adds up every worker's files, so any worker (or the
supervisor, on ``--metrics-port``) answers with one view of the whole server.

``instruments`` defines every metric once and records on the hot path; ``sampler`` copies what
each process counts on its own (cache lookups, the database pool, the change feed, the outbox)
into them every few seconds; ``exposition`` answers a scrape. Labels are bounded: route templates,
never paths; grant types and refusal reasons from fixed lists; OAuth app ids only when asked for
(``--metrics-per-app N``) and for at most N apps per process. No metric holds tenant data."""
