"""The walkthrough's web app: says hello and names the host (the container) it runs on."""

import os
import signal
import socket
import sys

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    name = os.getenv("NAME", "world")
    return f"<h3>Hello {name}!</h3><b>Hostname:</b> {socket.gethostname()}<br/>"


if __name__ == "__main__":
    # PID 1 of a container gets no default action for SIGTERM: stop on it, at once.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app.run(host="0.0.0.0", port=80)
