"""The dashboard (``ecs-exposure serve``): a local web app over a findings store — overview,
findings, a finding with its history, suppressions, posture, compliance and scan diffs."""
