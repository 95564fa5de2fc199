"""The command line from a checkout: ``python cli.py --help`` runs ``accessibility``.

A thin entry; the commands live in :mod:`accessibility.cli`.
"""

from accessibility.cli import main

if __name__ == "__main__":
    main()
