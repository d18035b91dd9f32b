"""Pure libraries the stages call (IAM, images, vulnerabilities, secrets): no knowledge of where
data came from.
"""
