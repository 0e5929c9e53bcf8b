"""From file to running app: graph, plan, converge, and the `pycompose` command line."""
