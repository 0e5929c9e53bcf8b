"""How long `specs.load` takes for 30, 300 and 3000 services, and how it grows.

Each service is shaped like a real one (image, ports, environment with
interpolation, an env file, named and bind volumes, a dependency, a
healthcheck, labels, resource limits). The peer in the same run is plain YAML
parsing of the same file with PyYAML's C loader (`yaml.load(CSafeLoader)`),
the floor any loader pays (timed, like the loader, with the cyclic garbage
collector paused); the ratio says what validation and normalisation cost on
top of it.

    python bench/spec_load.py [--runs 5] [--sizes 30 300 3000]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import specs

SERVICE = """\
  svc{index}:
    image: "registry.example.com/team/svc{index}:${{TAG:-1.0}}"
    command: ["serve", "--port", "8080", "--name", "svc{index}"]
    ports:
      - "{port}:8080"
    environment:
      SERVICE_NAME: svc{index}
      DATABASE_URL: postgres://app:${{DB_PASSWORD:-secret}}@db:5432/svc{index}
      LOG_LEVEL: info
    env_file: common.env
    volumes:
      - data{index}:/var/lib/svc
      - ./config/svc{index}:/etc/svc:ro
    depends_on:
      {dependency}:
        condition: service_started
    healthcheck:
      test: curl -fsS http://localhost:8080/health || exit 1
      interval: 10s
      timeout: 2s
      retries: 3
    labels:
      com.example.team: platform
      com.example.index: "{index}"
    mem_limit: 256m
    cpus: 0.25
    restart: unless-stopped
"""


def compose_text(count: int) -> str:
    """A Compose file with `count` services (and a db they depend on)."""
    lines = ["services:\n", "  db:\n    image: postgres:16\n"]
    for index in range(count):
        dependency = "db" if index == 0 else f"svc{index - 1}"
        lines.append(SERVICE.format(index=index, port=10000 + index, dependency=dependency))
    lines.append("volumes:\n")
    lines.extend(f"  data{index}:\n" for index in range(count))
    return "".join(lines)


def median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per size (median reported)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300, 3000])
    options = parser.parse_args()
    print(
        f"# {platform.node()}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"# median of {options.runs} runs")
    print(
        f"{'services':>8} {'load s':>9} {'per service ms':>15} {'growth':>7} "
        f"{'yaml parse s':>13} {'load/parse':>11}"
    )
    previous: tuple[int, float] | None = None
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "common.env").write_text("REGION=eu-west-1\nFEATURE_FLAGS=a,b,c\n")
        for size in options.sizes:
            path = root / f"compose-{size}.yaml"
            text = compose_text(size)
            path.write_text(text)
            environment: dict[str, str] = {"HOME": directory}

            def load(path: Path = path, environment: dict[str, str] = environment) -> object:
                return specs.load([path], env=environment, project_name="bench")

            def parse(text: str = text) -> object:
                # The same footing as the loader, which pauses the cyclic collector.
                gc.disable()
                try:
                    return yaml.load(text, Loader=yaml.CSafeLoader)
                finally:
                    gc.enable()

            load()  # warm caches (imports, pydantic schemas)
            loaded = median_seconds(load, options.runs)
            parsed = median_seconds(parse, options.runs)
            growth = ""
            if previous is not None:
                # 1.00 is linear: time grew exactly as much as the number of services.
                growth = f"{(loaded / previous[1]) / (size / previous[0]):.2f}"
            print(
                f"{size:>8} {loaded:>9.3f} {loaded / size * 1000:>15.3f} {growth:>7} "
                f"{parsed:>13.3f} {loaded / parsed:>10.1f}x"
            )
            previous = (size, loaded)


if __name__ == "__main__":
    main()
