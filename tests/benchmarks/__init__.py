"""`make bench`: latency, throughput, contention, reminder sweep, cold start and login, against a real server.

Run as `python -m tests.benchmarks` (no module here starts with test_, so pytest collects none of it).
The results go to BENCHMARKS.md at the repository root.
"""
