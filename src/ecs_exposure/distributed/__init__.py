"""Collection and scanning beyond one process: units of work on an existing engine (Dask).

An organization of thousands of accounts in a dozen regions is tens of thousands of
account × region units, each bound by API latency and per-account rate limits. This package
cuts ``collect``/``scan --aws`` into independent units and runs them on the engine the
team already has, rather than on a scheduler of our own.

Modules, one job each:
  units.py    the units of work (account, account+region, account IAM): picklable
              functions writing one shard each, the live collection's own code inside
  store.py    where shards go: a folder or an S3 prefix, each written whole or not at all
  engine.py   ``--executor``: threads here, a Dask scheduler, or a local Dask cluster
  collect.py  the driver: submit units as they become runnable, merge shards into one
              snapshot
  scan.py     one scan task per account, merged into the single scan's result

Dask is imported only when a Dask executor is chosen: the default path pays nothing.
"""
