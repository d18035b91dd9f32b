"""The dashboard's Jinja2 environment and the one way a page is rendered.

Autoescaping is on for every template and string, nothing is marked safe, and every printed
string first has its control and bidi-override characters shown as escapes (as in the HTML
report), so a resource named ``<script>…`` or one that reorders text is shown as its text.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ecs_exposure import __version__
from ecs_exposure.reporters.terminal import safe


def _inert(value: object) -> object:
    return safe(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def link(path: str, **query: Any) -> str:
    """A local address: ``path`` and its query, every value encoded, empty ones left out;
    a list value repeats the parameter."""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None and item != "":
                pairs.append((key, str(item)))
    return path + (f"?{urlencode(pairs)}" if pairs else "")


def finding_link(finding_id: str, scan_id: int | None = None) -> str:
    """The page of a finding (in a given scan)."""
    return link(f"/findings/{quote(finding_id, safe='')}", scan=scan_id)


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("ecs_exposure.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      finalize=_inert)
    env.globals.update(link=link, finding_link=finding_link, version=__version__)
    return env


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the request, the CSRF token and ``context``."""
    access = request.app.state.access
    body = environment().get_template(template).render(
        request=request, csrf=access.csrf, store_name=request.app.state.store.name,
        path=request.url.path, **context)
    return HTMLResponse(body, status_code=status)
