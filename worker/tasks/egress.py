"""Each egress route's public IP, as a worker sees it through the route: the IP an
operator puts on a venue's allow-list for the route's API keys."""

from __future__ import annotations

import asyncio

import structlog
from procrastinate import Blueprint, JobContext

from shared.db.pool import transaction
from shared.jobs import MAINTENANCE_QUEUE
from shared.repositories import egress_routes as repo
from shared.repositories.egress_routes import SealedRoute
from worker.context import WorkerContext, worker_context
from worker.credentials import CredentialUnavailableError
from worker.egress_ip import PublicIpCheckError, public_ip_through

log = structlog.get_logger(__name__)
blueprint = Blueprint()
CHECK_TIMEOUT_S = 10.0


@blueprint.periodic(cron="* * * * *", periodic_id="check_egress_public_ips")
@blueprint.task(name="check_egress_public_ips", queue=MAINTENANCE_QUEUE, pass_context=True)
async def check_egress_public_ips(context: JobContext, timestamp: int) -> int:
    """Asks the operator's IP-echo URL through every active route, all at once, and
    stores each answer or error. Returns how many routes answered."""
    ctx = worker_context(context)
    echo_url = ctx.settings.egress_ip_echo_url
    if not echo_url:
        return 0
    async with ctx.pool.connection() as conn:
        routes = await repo.routes_to_check(conn)
    outcomes = await asyncio.gather(*(_check(ctx, route, echo_url) for route in routes))
    async with transaction(ctx.pool) as conn:
        for route, (ip, error) in zip(routes, outcomes, strict=True):
            if ip is not None:
                await repo.record_route_public_ip(conn, route.id, ip)
            else:
                await repo.record_route_check_error(conn, route.id, error or "unknown error")
    return sum(1 for ip, _ in outcomes if ip is not None)


async def _check(
    ctx: WorkerContext, route: SealedRoute, echo_url: str
) -> tuple[str | None, str | None]:
    try:
        proxy_url = ctx.vault.open_route(route)
        ip = await public_ip_through(proxy_url, echo_url, timeout_s=CHECK_TIMEOUT_S)
    except (CredentialUnavailableError, PublicIpCheckError) as exc:
        log.warning("egress route public IP check failed", route=route.name, error=str(exc))
        return None, str(exc)
    log.info("egress route public IP", route=route.name, public_ip=ip)
    return ip, None
