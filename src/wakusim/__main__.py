"""``python -m wakusim``: the command line."""

from wakusim.interfaces.cli import main

main()
