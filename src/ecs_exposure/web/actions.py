"""The dashboard's only changes: suppress and unsuppress a finding (POST forms).

Each form carries the process's CSRF token; a request without it, or sent from another
site (``Origin`` or ``Sec-Fetch-Site``), is refused with 403 and changes nothing. The change
goes through :func:`ecs_exposure.store.queries.suppress` / ``unsuppress``, which write the
audit log under the actor the access rules name (the token's label, or the local user).
"""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ecs_exposure.store import queries
from ecs_exposure.store.engine import Store
from ecs_exposure.web.params import MAX_TEXT, BadParameter
from ecs_exposure.web.render import finding_link, page
from ecs_exposure.web.security import Access

MAX_REASON = 1000


def _same_site(request: Request) -> bool:
    """No browser signal says the request came from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site not in (None, "same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


async def _checked_form(request: Request) -> FormData | Response:
    access: Access = request.app.state.access
    form = await request.form(max_files=0, max_fields=20)
    token = form.get("csrf")
    if not _same_site(request) or not access.csrf_ok(token if isinstance(token, str) else None):
        return page(request, "error.html.j2", status=403, title="Refused",
                    message="This change was refused: the form did not come from this "
                            "dashboard (missing or stale CSRF token, or another site). "
                            "Reload the finding's page and try again.")
    return form


def _text(form: FormData, name: str, limit: int = MAX_TEXT) -> str | None:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    if len(value) > limit:
        raise BadParameter(f"{name}: longer than {limit} characters")
    return value.strip()


def _expiry(form: FormData) -> date | None:
    text = _text(form, "expires")
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadParameter("expires: expected a date, YYYY-MM-DD") from None


def _actor(request: Request) -> str:
    access: Access = request.app.state.access
    return access.actor(getattr(request.state, "token_label", None))


async def suppress(request: Request) -> Response:
    """Accept the finding with a reason (required), owner and expiry."""
    form = await _checked_form(request)
    if isinstance(form, Response):
        return form
    finding_id = request.path_params["finding_id"]
    reason = _text(form, "reason", MAX_REASON)
    if reason is None:
        raise BadParameter("reason: a suppression needs a reason")
    expires = _expiry(form)
    if expires is not None and expires < queries.now().date():
        raise BadParameter("expires: the date has passed")
    store: Store = request.app.state.store
    queries.suppress(store, finding_id, reason, _actor(request), owner=_text(form, "owner"),
                     expires=expires)
    return RedirectResponse(finding_link(finding_id) + "#suppression", status_code=303)


async def unsuppress(request: Request) -> Response:
    """Remove the finding's store suppression."""
    form = await _checked_form(request)
    if isinstance(form, Response):
        return form
    finding_id = request.path_params["finding_id"]
    store: Store = request.app.state.store
    queries.unsuppress(store, finding_id, _actor(request))
    return RedirectResponse(finding_link(finding_id) + "#suppression", status_code=303)
