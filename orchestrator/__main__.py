"""`python -m orchestrator` runs the pycompose command line."""

from orchestrator.cli.app import main

main()
