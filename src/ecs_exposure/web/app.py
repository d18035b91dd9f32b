"""The dashboard application: routes, static files, error pages and the access guard.

``create_app(store, access)`` builds it over an open store; ``ecs-exposure serve`` runs it
with uvicorn. Every asset is a file of this package (``web/static``), served from the same
origin, so the CSP can forbid everything else.
"""

from __future__ import annotations

import threading

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ecs_exposure.errors import StoreError
from ecs_exposure.store import queries
from ecs_exposure.store.engine import Store
from ecs_exposure.web import actions, pages, views
from ecs_exposure.web.params import BadParameter
from ecs_exposure.web.render import page
from ecs_exposure.web.security import Access, Guard
from ecs_exposure.web.summary import Diffs, Summaries


async def _bad_parameter(request: Request, error: Exception) -> Response:
    return page(request, "error.html.j2", status=400, title="Bad request", message=str(error))


async def _store_error(request: Request, error: Exception) -> Response:
    missing = " holds no " in str(error)
    return page(request, "error.html.j2", status=404 if missing else 500,
                title="Not found" if missing else "Store error", message=str(error))


async def _http_error(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    detail = error.detail if isinstance(error, HTTPException) else "error"
    return page(request, "error.html.j2", status=status, title=str(detail),
                message=f"{status}: {detail}")


def warm(app: Starlette, scans: int) -> None:
    """Read what the first visits need (the last ``scans`` scans' aggregates, the last two
    scans' diff) now, before the server answers, rather than on the first visit."""
    store: Store = app.state.store
    app.state.summaries.recent(scans)
    last = queries.list_scans(store, 2)
    if len(last) == 2:
        app.state.diffs.get(last[1].id, last[0].id)


def warm_in_background(app: Starlette, scans: int) -> threading.Thread:
    """:func:`warm` in a daemon thread, so ``serve`` answers at once (a start-up took 15-22 s
    on 30 scans × 10,000 findings): a page that needs an aggregate still being read waits for
    that one read (the caches read each once). A store error here is left to the visit that
    needs the data, which reads it again and shows the error."""

    def run() -> None:
        try:
            warm(app, scans)
        except (StoreError, SQLAlchemyError):
            pass

    thread = threading.Thread(target=run, name="ecs-exposure-warm", daemon=True)
    thread.start()
    return thread


def create_app(store: Store, access: Access | None = None) -> Starlette:
    """The dashboard over ``store`` (kept open by the caller) with ``access`` rules
    (default: loopback, no token)."""
    rules = access or Access()
    routes = [
        Route("/", pages.overview, name="overview"),
        Route("/findings", pages.findings, name="findings"),
        Route("/findings/{finding_id}", pages.finding, name="finding"),
        Route("/findings/{finding_id}/fixed-task-definition.json",
              pages.fixed_task_definition, name="fixed"),
        Route("/findings/{finding_id}/suppress", actions.suppress, methods=["POST"]),
        Route("/findings/{finding_id}/unsuppress", actions.unsuppress, methods=["POST"]),
        Route("/posture", views.posture, name="posture"),
        Route("/compliance", views.compliance, name="compliance"),
        Route("/problems", views.problems, name="problems"),
        Route("/diff", views.scan_diff, name="diff"),
        Route("/scans", views.scans, name="scans"),
        Mount("/static", StaticFiles(packages=[("ecs_exposure.web", "static")]),
              name="static"),
    ]
    middleware = [Middleware(Guard, access=rules)]
    if "*" not in rules.hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(rules.hosts)))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={
        BadParameter: _bad_parameter, StoreError: _store_error, HTTPException: _http_error})
    app.state.store = store
    app.state.access = rules
    app.state.summaries = Summaries(store)
    app.state.diffs = Diffs(store)
    return app
