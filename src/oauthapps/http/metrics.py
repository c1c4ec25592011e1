"""``GET /metrics`` on the public port (when no ``--metrics-port`` is set): the Prometheus text
format, every worker's values added up (metrics/exposition.py). The worker that answers samples
its own gauges first. Not access-logged."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..metrics.exposition import scrape
from ..runtime import Runtime

PATH = "/metrics"


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.state.app
    if runtime.metrics_sampler is not None:
        await runtime.metrics_sampler.sample()
    body, content_type = await asyncio.to_thread(scrape)  # reads every worker's files
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


routes = [Route(PATH, metrics, methods=["GET"])]
