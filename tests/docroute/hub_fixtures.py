"""A hub simulator served on a local port for the tests, and docroute services connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn

from docroute.hub_sim import HubState, System, create_hub_app
from tests.conftest import free_port


@contextlib.asynccontextmanager
async def serving_hub(systems: dict[str, System]) -> AsyncIterator[tuple[str, HubState]]:
    """The simulator on 127.0.0.1, its base URL and its state."""
    state = HubState(systems)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_hub_app(state), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", state
    finally:
        server.should_exit = True
        await task
