"""The ``accessibility`` command line: each command parses, makes one library call, writes.

One module per command group; each registers its commands on :data:`main`. Run
``accessibility --help`` (or ``python -m accessibility``, or ``python cli.py``).
"""

from accessibility.cli import (  # noqa: F401  (register the commands)
    audit,
    build,
    facilities,
    plan,
    programme,
    report,
    route,
    serve,
    sheet,
    survey,
    user,
)
from accessibility.cli.main import main

__all__ = ["main"]
