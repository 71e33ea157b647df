"""Settings of the benchmarks' server: the production settings, plus the bench's own ping route.

Everything else comes from the environment that bench/harness.py sets (debug off, PostgreSQL, Redis).
"""

from kinetix.settings import *  # noqa: F403

# The project's routes plus /bench/ping/, the trivial DRF endpoint every figure is a ratio against.
ROOT_URLCONF = "bench.urls"
