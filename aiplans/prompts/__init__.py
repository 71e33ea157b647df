"""Prompt templates, versioned in code: a generation records the version it was written with.

Change a template by adding a new module and pointing CURRENT at it, so that the drafts (and the
training data built from them) keep saying which wording produced them.
"""

from aiplans.prompts import plan_v1

CURRENT = plan_v1
