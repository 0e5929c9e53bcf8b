"""`push` and `pull` of the app's images through a real registry, and `up --pull always`."""

from __future__ import annotations

from tests.support.compose_apps import IDLE, ComposeApp
from tests.support.registry import RegistryServer


def test_push_pull_and_up_with_pull_always(app: ComposeApp, registry: RegistryServer) -> None:
    image = f"{registry.host}/team/busybox:1"
    app.run("image", "tag", "busybox:latest", image)
    app.write(
        f"""
        services:
          web:
            image: {image}
            command: {IDLE}
        """
    )
    app.run("push")
    app.run("image", "rm", image)
    assert app.engine().images.resolve(image) is None
    assert f"for {image}" in app.run("pull").stdout
    assert app.engine().images.resolve(image) is not None
    app.run("image", "rm", image)
    result = app.run("up", "-d", "--pull", "never", check=False)
    assert result.returncode == 1 and f"image {image} is not here" in result.stderr
    app.run("up", "-d", "--pull", "always")
    assert app.states() == {"web-1": "running"}
