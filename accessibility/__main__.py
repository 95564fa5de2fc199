"""``python -m accessibility``: the command line."""

from accessibility.cli import main

main()
