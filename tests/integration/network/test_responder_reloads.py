"""The DNS responder reloads when what it serves changes, and only then."""

from __future__ import annotations

from collections.abc import Callable

from runtime.network import Networks
from runtime.network.model import ResolverOptions
from tests.support import netlab
from tests.support.netlab import Box


def test_the_responder_reloads_only_on_a_change(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]
) -> None:
    networks.create("front")
    web = make_box("web", "front", serve=False)
    applied = networks.responder.applied_path
    first = applied.read_text()

    networks.resolver_files(web.id, ResolverOptions(hostname="web"))  # no dns: nothing new
    assert applied.read_text() == first

    networks.resolver_files(web.id, ResolverOptions(hostname="web", dns=("192.0.2.53",)))
    second = applied.read_text()
    assert second != first  # its own upstream server reached the responder

    api = make_box("api", "front", serve=False)  # a new name to serve
    assert applied.read_text() != second
    networks.resolver_files(api.id, ResolverOptions(hostname="api"))
    third = applied.read_text()

    # Another process changes what the responder runs; this one's next call asks for the
    # configuration it had applied before, which must be loaded again, not skipped.
    Networks(networks.store).resolver_files(web.id, ResolverOptions(hostname="web"))
    fourth = applied.read_text()
    assert fourth != third
    networks.resolver_files(web.id, ResolverOptions(hostname="web", dns=("192.0.2.53",)))
    assert applied.read_text() != fourth
