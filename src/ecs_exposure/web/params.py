"""Query parameters of the dashboard's pages, read strictly: a value that is not one of the
choices is a 400 page naming the parameter, never silently ignored."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ecs_exposure.model import Severity
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import SORTS, STATES, FindingFilter
from ecs_exposure.web import data

PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_TEXT = 200


class BadParameter(ValueError):
    """A query or form value the page cannot use (shown as a 400 page)."""


def one(request: Request, name: str) -> str | None:
    """A parameter's value (``None`` when missing or empty), at most :data:`MAX_TEXT` long."""
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > MAX_TEXT:
        raise BadParameter(f"{name}: longer than {MAX_TEXT} characters")
    return value.strip()


def number(request: Request, name: str, default: int, low: int = 1,
           high: int | None = None) -> int:
    """A whole number parameter within ``low``…``high``."""
    text = one(request, name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        bound = f"{low}…{high}" if high is not None else f"≥ {low}"
        raise BadParameter(f"{name}: expected a whole number {bound}")
    return int(text)


def scan_id(request: Request, store: Store) -> int | None:
    """The scan the page shows: ``?scan=ID`` (checked), else the newest (``None`` when the
    store holds none)."""
    if one(request, "scan") is None:
        return data.latest_scan(store)
    chosen = number(request, "scan", 0)
    data.require_scan(store, chosen)
    return chosen


def severities(request: Request) -> tuple[Severity, ...]:
    """``?severity=HIGH&severity=CRITICAL``."""
    found = []
    for text in request.query_params.getlist("severity"):
        if not text:
            continue
        try:
            found.append(Severity.parse(text))
        except KeyError:
            raise BadParameter(f"severity: {text[:40]!r} is not one of "
                               f"{', '.join(s.name for s in reversed(Severity))}") from None
    return tuple(dict.fromkeys(found))


def states(request: Request) -> tuple[str, ...]:
    """``?state=new&state=active``."""
    found = [s for s in request.query_params.getlist("state") if s]
    for state in found:
        if state not in STATES:
            raise BadParameter(f"state: {state[:40]!r} is not one of {', '.join(STATES)}")
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class ListQuery:
    """The findings list's filter, sort and page, as the address gives them."""

    keep: FindingFilter
    sort: str
    descending: bool
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def list_query(request: Request) -> ListQuery:
    """Read the findings list's parameters."""
    sort = one(request, "sort") or "severity"
    if sort not in SORTS:
        raise BadParameter(f"sort: {sort[:40]!r} is not one of {', '.join(SORTS)}")
    order = one(request, "order")
    if order not in (None, "asc", "desc"):
        raise BadParameter("order: expected asc or desc")
    descending = order == "desc" if order else sort == "severity"
    kind = one(request, "kind")
    if kind not in (None, "service", "task_definition"):
        raise BadParameter("kind: expected service or task_definition")
    keep = FindingFilter(severities=severities(request), states=states(request),
                         trait=one(request, "trait"), account=one(request, "account"),
                         region=one(request, "region"), cluster=one(request, "cluster"),
                         text=one(request, "q"), kind=kind)
    return ListQuery(keep, sort, descending, number(request, "page", 1),
                     number(request, "per_page", PER_PAGE, 10, MAX_PER_PAGE))
