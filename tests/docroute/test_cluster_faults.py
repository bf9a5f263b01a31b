"""Fault tests on a three-node RabbitMQ cluster, counted the Jepsen way (lost, duplicated,
unexpected): the node leading the queues SIGKILLed mid-stream and restarted; one node cut off
from the others and its clients (its VM frozen past the cluster's tick time) and healed; a
rolling restart of all three. docroute connects with the list of the three nodes.

The cluster is private (tests/rabbit_cluster.py: own node names, ports and directories),
started once for this module; the shared broker on 5672 is not used here.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from foundation.broker import DELIVERIES, DOCUMENTS
from foundation.settings import Settings
from tests.conftest import free_port
from tests.docroute import test_faults
from tests.docroute.test_faults import DOCUMENTS as PER_SUBMIT
from tests.docroute.test_faults import ZERO, Harness
from tests.rabbit_cluster import Cluster, Node

# The fault tests' pipeline (API and relay here, workers as processes), on `real` below.
harness = test_faults.harness


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """Three nodes, joined; killed and removed after the module's tests."""
    nodes = Cluster(Path(tempfile.mkdtemp(prefix="docroute-cluster-")),
                    [free_port() for _ in range(6)])
    try:
        asyncio.run(nodes.start())
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture
def real(cluster: Cluster, real: Settings) -> Settings:
    """The fault tests' settings, with the cluster's three nodes as the broker."""
    return real.model_copy(update={"amqp_url": cluster.urls})


async def _replicated(cluster: Cluster, settings: Settings) -> None:
    for queue in (DOCUMENTS, DELIVERIES):
        members = await cluster.members(f"{settings.queue_prefix}.{queue}")
        assert members == {node.name for node in cluster.nodes}


async def _running(cluster: Cluster, eventually: Any, node: Node) -> None:
    async def joined() -> bool:
        try:
            await cluster.ctl(node, "await_startup", "--timeout", "5")
        except AssertionError:
            return False
        return True

    await eventually(joined, f"{node.name} to serve again", 120)


async def _flowing(harness: Harness, tokens: Any, seed_text: Any, eventually: Any) -> list[str]:
    await harness.worker("router")
    await harness.worker("delivery")
    await harness.worker("delivery")
    before = await harness.submit(tokens, seed_text("004"))
    await eventually(lambda: harness.sink.received, "the first delivery")
    return before


async def test_queue_leader_killed_mid_stream_and_restarted_loses_nothing(
    harness: Harness, cluster: Cluster, tokens: Any, settled: Any, seed_text: Any,
    eventually: Any,
) -> None:
    """SIGKILL the node leading the deliveries queue while deliveries flow: a follower takes
    over, every process reconnects to a live node, documents submitted meanwhile go through;
    the node restarts and rejoins; every agency holds exactly one copy of each document."""
    await _replicated(cluster, harness.service.settings)
    before = await _flowing(harness, tokens, seed_text, eventually)
    leader = await cluster.leader(f"{harness.service.settings.queue_prefix}.{DELIVERIES}")
    cluster.kill(leader)
    during = await harness.submit(tokens, seed_text("004"), first=PER_SUBMIT + 1)
    await cluster.boot(leader)
    await _running(cluster, eventually, leader)
    after = await harness.submit(tokens, seed_text("004"), first=2 * PER_SUBMIT + 1)
    assert await harness.count(settled, before + during + after) == ZERO


async def test_node_cut_off_and_healed_loses_nothing(
    harness: Harness, cluster: Cluster, tokens: Any, settled: Any, seed_text: Any,
    eventually: Any,
) -> None:
    """Freeze the node leading the documents queue (SIGSTOP: it answers neither the other
    nodes nor its clients) past the cluster's tick time, so the others declare it down and
    elect new leaders; documents keep flowing; thaw it (SIGCONT): it rejoins. Nothing is lost
    or delivered twice."""
    before = await _flowing(harness, tokens, seed_text, eventually)
    cut = await cluster.leader(f"{harness.service.settings.queue_prefix}.{DOCUMENTS}")
    cluster.freeze(cut, True)
    try:
        await asyncio.sleep(10)  # > net_ticktime (4 s): the others have declared it down
        during = await harness.submit(tokens, seed_text("004"), first=PER_SUBMIT + 1)
        try:
            await eventually(
                lambda: any(i["document_id"] in during for i in harness.sink.received),
                "a delivery while the node is cut off", 120)
        except AssertionError as error:
            tails = {log.name: log.read_text()[-3000:] for log in harness.logs.glob("*.log")}
            raise AssertionError(f"{error}; worker logs: {tails}") from error
    finally:
        cluster.freeze(cut, False)
    await _running(cluster, eventually, cut)
    after = await harness.submit(tokens, seed_text("004"), first=2 * PER_SUBMIT + 1)
    assert await harness.count(settled, before + during + after) == ZERO


async def test_rolling_restart_of_all_three_nodes_loses_nothing(
    harness: Harness, cluster: Cluster, tokens: Any, settled: Any, seed_text: Any,
    eventually: Any,
) -> None:
    """Restart each node in turn (stop_app, start_app) while documents are submitted between
    the steps: every agency holds exactly one copy of each document."""
    submitted = await _flowing(harness, tokens, seed_text, eventually)
    for n, node in enumerate(cluster.nodes, start=1):
        await cluster.ctl(node, "stop_app")
        submitted += await harness.submit(tokens, seed_text("004"), first=n * PER_SUBMIT + 1)
        await cluster.ctl(node, "start_app")
        await _running(cluster, eventually, node)
    await _replicated(cluster, harness.service.settings)
    assert await harness.count(settled, submitted) == ZERO
