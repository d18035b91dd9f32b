"""Infrastructure as code in: CloudFormation (JSON, YAML, SAM, CDK output) and Terraform (plan
and state JSON, HCL best effort), translated into the AWS API shapes the detectors read, with
every field traceable to its file, line and column.

The readers are listed in ``sources/readers.py``; the locators of a line in YAML and HCL files
(``locate.py``) are used by ``sources/positions.py``.
"""
