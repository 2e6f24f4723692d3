"""The worker's procrastinate App: every task, registered under the names web defers."""

from __future__ import annotations

from procrastinate import App

from shared.jobs import create_job_app
from worker.tasks import accounts, bots, egress, maintenance, orders, positions, retention, signals


def create_worker_app() -> App:
    app = create_job_app()
    for module in (orders, maintenance, retention, accounts, bots, egress, positions, signals):
        # No namespace: task names stay exactly as in shared.jobs ("place_order").
        app.add_tasks_from(module.blueprint, namespace="")
    return app
