"""Console users (/admin), sign-in, sessions, CSRF and the sign-in throttle."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from services.api.console.auth import COOKIE
from services.api.console.throttle import MAX_FAILURES
from tests.api.conftest import make_shop

from .conftest import PASSWORD, client_of, console_user, form_csrf, sign_in


async def _try(app: FastAPI, email: str, password: str) -> httpx.Response:
    async with client_of(app) as c:
        form = await c.get("/console/sign-in")
        return await c.post(
            "/console/sign-in",
            data={"email": email, "password": password, "csrf": form_csrf(form.text)},
        )


async def test_admin_creates_and_lists_console_users(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, _ = await make_shop(client, admin)
    email = await console_user(client, admin, shop_id)
    await console_user(client, admin, shop_id, role="agent", agent_id="a1")
    listed = await client.get(f"/admin/shops/{shop_id}/console-users", headers=admin)
    assert listed.status_code == 200
    users = listed.json()
    assert {u["role"] for u in users} == {"manager", "agent"}
    assert all("password" not in str(u) for u in users), "no hash or password is shown"
    again = await client.post(
        f"/admin/shops/{shop_id}/console-users",
        json={"email": email.upper(), "display_name": "x", "role": "manager", "password": PASSWORD},
        headers=admin,
    )
    assert again.status_code == 409, "emails are unique (case-insensitively)"
    bad = await client.post(
        f"/admin/shops/{shop_id}/console-users",
        json={"email": "x@example.com", "display_name": "x", "role": "agent", "password": PASSWORD},
        headers=admin,
    )
    assert bad.status_code == 422, "an agent user needs its agent_id"
    missing = await client.get("/admin/shops/no-such-shop/console-users", headers=admin)
    assert missing.status_code == 404


async def test_sign_in_session_and_sign_out(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, _ = await make_shop(client, admin)
    email = await console_user(client, admin, shop_id)
    anonymous = await client.get("/console")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/console/sign-in"
    wrong = await _try(app, email, "wrong password!")
    unknown = await _try(app, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert "邮箱或密码错误" in wrong.text and "邮箱或密码错误" in unknown.text
    assert COOKIE not in wrong.cookies
    async with sign_in(app, email) as c:
        cookie = next(k for k in c.cookies.jar if k.name == COOKIE)
        assert cookie.has_nonstandard_attr("HttpOnly")
        home = await c.get("/console")
        assert home.status_code == 200 and "团队" in home.text
        csrf = form_csrf(home.text)
        refused = await c.post("/console/sign-out", data={})
        assert refused.status_code == 403, "a POST without the CSRF token is refused"
        assert refused.headers["content-type"] == "application/problem+json"
        out = await c.post("/console/sign-out", data={"csrf": csrf})
        assert out.status_code == 303
        # The server forgot the session: the old cookie no longer opens a page.
        c.cookies.set(COOKIE, cookie.value or "", domain=cookie.domain, path="/console")
        assert (await c.get("/console")).status_code == 303


def _alert(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)
    assert found, "no error message on the page"
    return found.group(1)


async def test_failed_sign_ins_are_throttled_alike_for_any_email(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, _ = await make_shop(client, admin)
    email = await console_user(client, admin, shop_id)
    for _ in range(MAX_FAILURES):
        assert (await _try(app, email, "wrong password!")).status_code == 401
        assert (await _try(app, "ghost@example.com", "wrong password!")).status_code == 401
    blocked = await _try(app, email, PASSWORD)
    ghost = await _try(app, "ghost@example.com", PASSWORD)
    assert blocked.status_code == ghost.status_code == 429
    # The same message for both (the pages' random CSRF tokens aside: counting "15" in
    # the whole page once matched a token)
    assert _alert(blocked.text) == _alert(ghost.text) and "15" in _alert(blocked.text)
    assert COOKIE not in blocked.cookies


async def test_sign_in_form_needs_its_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, _ = await make_shop(client, admin)
    email = await console_user(client, admin, shop_id)
    async with client_of(app) as c:
        r = await c.post("/console/sign-in", data={"email": email, "password": PASSWORD})
        assert r.status_code == 403
        assert COOKIE not in r.cookies
