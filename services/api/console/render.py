"""Rendering pages: the templates, the language (query `lang`, else its cookie, else 中文)
and what every page shows (the user, the navigation, the CSRF token for htmx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from domain.catalogue import CATALOGUE

from . import formatting
from .auth import CSRF_HEADER, ConsoleUser
from .formatting import Lang, lang_of
from .i18n import translator

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
LANG_COOKIE = "kefu_console_lang"


def request_lang(request: Request) -> Lang:
    return lang_of(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def page(
    request: Request,
    template: str,
    user: ConsoleUser | None,
    *,
    currency: str = "CNY",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = request_lang(request)

    def fmt(name: str, value: Any) -> str:
        return formatting.shown(CATALOGUE[name], value, lang, currency)

    def show(metric: Any, value: Any) -> str:
        return formatting.shown(metric, value, lang, currency)

    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "lang": lang,
            "t": translator(lang),
            "fmt": fmt,
            "show": show,
            "money": lambda v: formatting.money(v, currency),
            "label": lambda m: formatting.label(m, lang),
            "csrf_header": CSRF_HEADER,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )
    if "lang" in request.query_params:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response


def _lang_switch(params: Any, lang: Lang) -> str:
    """The page's query with the other language."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in params.multi_items() if k != "lang"]
    return urlencode([*kept, ("lang", "zh" if lang == "en" else "en")])


TEMPLATES.env.filters["lang_switch"] = _lang_switch
