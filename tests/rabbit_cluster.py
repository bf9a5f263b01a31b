"""A private three-node RabbitMQ cluster on this machine, for the cluster fault tests.

Each node is its own Erlang VM with its own node name, AMQP and distribution ports, data and
log directories, config and Erlang cookie (RABBITMQ_NODENAME, RABBITMQ_NODE_PORT,
RABBITMQ_DIST_PORT, RABBITMQ_MNESIA_BASE, ...), so the shared broker on 5672 is never touched:
nodes are started, killed and stopped only through their own names and process ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
# A short tick: the others see a frozen (cut-off) node as down within seconds, not a minute;
# autoheal: when the cut heals, the side that lost restarts and rejoins on its own.
CONFIG = """listeners.tcp.default = 127.0.0.1:{port}
loopback_users = none
net_ticktime = 4
cluster_partition_handling = autoheal
log.console = false
log.file.level = warning
"""


@dataclass
class Node:
    """One node: its name, its ports and its directory."""

    name: str
    port: int
    dist_port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The node's AMQP URL (short heartbeats: a frozen node is noticed in seconds)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/?heartbeat=4"

    def env(self) -> dict[str, str]:
        """The environment that makes the scripts address this node and nothing else."""
        return {
            **os.environ, "HOME": str(self.home), "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.home / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(self.home / "pid"), "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def pid(self) -> int:
        """The node's Erlang VM (beam.smp) process id."""
        return int((self.home / "pid").read_text().strip())


@dataclass
class Cluster:
    """Three nodes joined into one cluster."""

    root: Path
    ports: list[int]
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        cookie = uuid.uuid4().hex.upper()
        for n, letter in enumerate("abc"):
            home = self.root / letter
            (home / "log").mkdir(parents=True)
            (home / ".erlang.cookie").write_text(cookie)
            (home / ".erlang.cookie").chmod(0o400)
            (home / "rabbitmq.conf").write_text(CONFIG.format(port=self.ports[2 * n]))
            (home / "enabled_plugins").write_text("[].")
            (home / "rabbitmq-env.conf").write_text("")
            self.nodes.append(Node(f"docroute-{tag}-{letter}@localhost", self.ports[2 * n],
                                   self.ports[2 * n + 1], home))

    @property
    def urls(self) -> str:
        """The nodes' URLs as DOCROUTE_AMQP_URL takes them (comma-separated)."""
        return ",".join(node.url for node in self.nodes)

    async def ctl(self, node: Node, *args: str, tool: str = "rabbitmqctl") -> str:
        """Run a CLI tool against one node; its output (AssertionError on failure)."""
        process = await asyncio.create_subprocess_exec(
            str(RABBIT_BIN / tool), "-n", node.name, *args, env=node.env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0, f"{tool} {' '.join(args)} on {node.name}: {err.decode()}"
        return out.decode()

    async def boot(self, node: Node) -> None:
        """Start the node's VM (data kept from an earlier run) and wait until it serves."""
        log = (node.home / "log" / "console.log").open("ab")
        node.process = subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=node.env(),
                                        stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        await self.ctl(node, "wait", str(node.home / "pid"), "--timeout", "120")
        await self.ctl(node, "await_startup", "--timeout", "120")

    async def start(self) -> None:
        """Start the three nodes; the second and third join the first."""
        await asyncio.gather(*(self.boot(node) for node in self.nodes))
        first = self.nodes[0]
        for node in self.nodes[1:]:
            await self.ctl(node, "stop_app")
            await self.ctl(node, "join_cluster", first.name)
            await self.ctl(node, "start_app")
        status = json.loads(await self.ctl(first, "cluster_status", "--formatter", "json"))
        assert sorted(status["running_nodes"]) == sorted(n.name for n in self.nodes), status

    def kill(self, node: Node) -> None:
        """SIGKILL the node's VM (no clean shutdown: a crash)."""
        os.kill(node.pid(), signal.SIGKILL)
        if node.process is not None:
            node.process.wait(timeout=30)

    def freeze(self, node: Node, frozen: bool) -> None:
        """SIGSTOP / SIGCONT the node's VM: cut off from the other nodes and its clients."""
        os.kill(node.pid(), signal.SIGSTOP if frozen else signal.SIGCONT)

    async def leader(self, queue: str) -> Node:
        """The node that leads a quorum queue now."""
        for node in self.nodes:
            try:
                rows = json.loads(await self.ctl(node, "list_queues", "name", "leader",
                                                 "--formatter", "json"))
            except AssertionError:
                continue  # that node is down: ask another
            for row in rows:
                if row["name"] == queue:
                    return next(n for n in self.nodes if n.name == row["leader"])
        raise AssertionError(f"no node knows the queue {queue}")

    async def members(self, queue: str) -> set[str]:
        """The nodes a quorum queue is replicated on."""
        out = await self.ctl(self.nodes[0], "quorum_status", queue, "--formatter", "json",
                             tool="rabbitmq-queues")
        return {row["Node Name"] for row in json.loads(out)}

    def stop(self) -> None:
        """Kill every node still running and remove the cluster's directories."""
        for node in self.nodes:
            try:
                os.kill(node.pid(), signal.SIGCONT)
                os.kill(node.pid(), signal.SIGKILL)
            except (OSError, ValueError):
                pass  # never started, or already gone
            if node.process is not None:
                node.process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)
