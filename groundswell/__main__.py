"""Run the command line as `python -m groundswell`."""

from groundswell.cli import main

main()
