"""The checker beside the web app: from inside web's network namespace, fetch localhost:80.

`python check.py` fetches every 5 s and logs each answer; `python check.py --once`
fetches once, prints the answer and exits 0 when the app answered (the checker's
healthcheck).
"""

import signal
import sys
import time
import urllib.request

URL = "http://localhost:80/"


def fetch() -> str:
    with urllib.request.urlopen(URL, timeout=5) as response:
        return response.read().decode()


def main() -> int:
    if "--once" in sys.argv[1:]:
        try:
            print(fetch())
        except OSError as exc:
            print(f"{URL}: {exc}")
            return 1
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        try:
            print(f"{URL} answered: {fetch()}", flush=True)
        except OSError as exc:
            print(f"{URL}: {exc}", flush=True)
        time.sleep(5)


if __name__ == "__main__":
    sys.exit(main())
