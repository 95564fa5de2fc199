"""The ``accessibility`` command line: each command parses, makes one library call, writes.

One module per command group; each registers its commands on :data:`main`. Run
``accessibility --help`` (or ``python -m accessibility``, or ``python cli.py``).
"""

from accessibility.cli import audit, build, plan, programme, report, route, serve, survey, user  # noqa: F401  (register the commands)
from accessibility.cli.main import main

__all__ = ["main"]
