"""GET/POST /console/sign-in and POST /console/sign-out.

The sign-in form has a CSRF token of its own (a cookie and the same value in the form),
since there is no session yet. A failed sign-in answers the same words whether or not the
email exists (and verifies a dummy hash, so it takes as long); five failures for one email
in 15 minutes (or fifty from one address) refuse further tries for a while.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ..deps import SessionDep
from . import auth
from .auth import COOKIE, SIGN_IN_CSRF_COOKIE, CurrentUser, check_csrf, clock_of
from .forms import form_of
from .passwords import verify_password
from .render import page
from .throttle import SignInThrottle
from .users import repository as users
from .users.service import normal_email

router = APIRouter()


def _secure(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto == "https"


def _form_page(request: Request, error: str | None, status_code: int) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request, "sign_in.html", None, error=error, form_csrf=token, status_code=status_code
    )
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request)
    )
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    return _form_page(request, None, 200)


@router.post("/sign-in")
async def sign_in(request: Request, session: SessionDep) -> Response:
    form = await form_of(request)
    if not auth.same_token(form.get("csrf"), request.cookies.get(SIGN_IN_CSRF_COOKIE) or ""):
        return _form_page(request, "csrf", 403)
    throttle: SignInThrottle = request.app.state.console_throttle
    email = normal_email(form.get("email", ""))
    keys = (f"email:{email}", f"addr:{request.client.host if request.client else '-'}")
    if throttle.blocked(*keys):
        return _form_page(request, "throttled", 429)
    user = await users.user_by_email(session, email) if email else None
    if not verify_password(None if user is None else user.password_hash, form.get("password", "")):
        throttle.failed(*keys)
        return _form_page(request, "bad_sign_in", 401)
    throttle.succeeded(keys[0])
    token = await auth.start_session(session, user, clock_of(request)())
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(auth.SESSION_TTL.total_seconds()),
        path="/console",
    )
    response.delete_cookie(SIGN_IN_CSRF_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    check_csrf(user, await form_of(request), request)
    await auth.end_session(session, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response
