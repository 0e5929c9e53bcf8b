"""The monitor's exit command: `python -m runtime.containers.cleanup --root R --run-root RR ID`.

Run by a container's monitor when the process has ended for good and no
caller is there to clean up: network release, runtime state, rootfs
unmount, and `--rm`. It runs with the whole engine (pyroute2, nft), which the
monitor itself never loads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runtime.errors import EngineError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runtime.containers.cleanup")
    parser.add_argument("--root", required=True)
    parser.add_argument("--run-root", required=True)
    parser.add_argument("container_id")
    args = parser.parse_args(argv)
    from runtime.containers.removal import finish_exit
    from runtime.engine import Engine
    from runtime.store import Layout, Store

    engine = Engine(Store(Layout(root=Path(args.root), run_root=Path(args.run_root))))
    try:
        finish_exit(engine.containers, args.container_id)
    except EngineError as exc:
        print(f"pycompose cleanup of {args.container_id[:12]}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
