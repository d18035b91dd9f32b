"""Live collection from AWS: the same API shapes the file sources read, fetched read-only.

``collect(options)`` walks accounts × regions in parallel and returns a *snapshot*: a
versioned document holding, per account and region, the exact ``describe-*`` outputs the
detectors need (see ``snapshot.py``). ``scan --aws`` loads it straight into an Inventory;
``collect --output`` writes it to a file that ``scan`` reads later with identical findings.

Modules, one job each:
  session.py    credentials, assume-role into accounts, regions, thread-safe clients
  api.py        one account+region: calls that record failures instead of raising
  ecs.py        clusters, services, task definitions, running tasks
  network.py    security groups, subnets, route tables, ENIs, load balancers
  ecr.py        repositories and image details of the images in use
  iam.py        the task and execution roles with their policy documents
  collector.py  the orchestration: concurrency, progress, what is incomplete
  snapshot.py   the snapshot format: write, read into an Inventory (a reader of ../readers.py)
  progress.py   the per-account/region progress display on a terminal

Nothing is imported here: reading a snapshot file must not pay for importing boto3.
"""
