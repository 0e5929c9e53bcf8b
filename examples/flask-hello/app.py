"""The walkthrough's web app: says hello and names the host (the container) it runs on."""

import os
import socket

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    name = os.getenv("NAME", "world")
    return f"<h3>Hello {name}!</h3><b>Hostname:</b> {socket.gethostname()}<br/>"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=80)
