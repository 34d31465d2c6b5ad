"""Which format a report is asked in, and the streamed file response.

`?format=csv|xlsx|json` wins; without it, an Accept header naming text/csv or the XLSX
media type asks for that file (the first of them in the header), anything else is JSON.
`?lang=zh` (default) or `en` picks the header language. A report route takes `ExportDep`:
None means "answer JSON as before"; otherwise it builds its Report (after every check it
makes) and returns `export.response(report)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, Header, Query, Request
from starlette.responses import StreamingResponse

from domain.days import zone

from ..deps import CurrentShop
from ..shop_settings.repository import fetch_overrides
from ..shop_settings.service import effective
from .columns import Lang
from .csv_file import csv_chunks
from .report import Report
from .xlsx_file import xlsx_chunks

FileFormat = Literal["csv", "xlsx"]
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES: dict[FileFormat, str] = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
_CONTENT_TYPES: dict[FileFormat, str] = {
    "csv": f"{CSV_TYPE}; charset=utf-8; header=present",
    "xlsx": XLSX_TYPE,
}
_BY_MEDIA_TYPE: dict[str, FileFormat] = {t: f for f, t in MEDIA_TYPES.items()}

# `responses=` of a report route: the OpenAPI document lists both files beside the JSON.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON; or with format=csv|xlsx (or Accept) the report as a file "
        "(Content-Disposition: attachment, a file name with shop, report and period)",
        "content": {
            CSV_TYPE: {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def accepted_file(accept: str | None) -> FileFormat | None:
    """The first file media type an Accept header names (with q > 0), else None."""
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        found = _BY_MEDIA_TYPE.get(media.lower())
        if found is not None:
            return found
    return None


def content_disposition(file_name: str) -> str:
    """attachment with an ASCII fallback name and the UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = "".join(
        ch if 0x20 < ord(ch) < 0x7F and ch not in '"\\%' else "_" for ch in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def file_name(shop_id: str, report: Report, fmt: FileFormat) -> str:
    unsafe = '/\\:*?"<>|'
    name = f"{shop_id}_{report.name}_{report.period}.{fmt}"
    return "".join("_" if ch in unsafe or ord(ch) < 0x20 else ch for ch in name)


@dataclass(frozen=True, slots=True)
class Export:
    format: FileFormat
    lang: Lang
    shop_id: str
    currency: str
    zone: tzinfo

    def response(self, report: Report) -> StreamingResponse:
        chunks = csv_chunks if self.format == "csv" else xlsx_chunks
        body: AsyncIterator[bytes] = chunks(
            report, lang=self.lang, currency=self.currency, zone=self.zone
        )
        name = file_name(self.shop_id, report, self.format)
        return StreamingResponse(
            body,
            media_type=_CONTENT_TYPES[self.format],
            headers={"Content-Disposition": content_disposition(name), "Vary": "Accept"},
        )


FormatQuery = Annotated[
    Literal["json", "csv", "xlsx"] | None,
    Query(description="csv or xlsx: the report as a file; default: by Accept, else json"),
]
LangQuery = Annotated[Lang, Query(description="column headers of a file: 中文 (zh) or English")]


async def _export(
    request: Request,
    shop: CurrentShop,
    format: FormatQuery = None,
    lang: LangQuery = "zh",
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Export | None:
    chosen = accepted_file(accept) if format is None else format
    if chosen is None or chosen == "json":
        return None
    async with request.app.state.autocommit_engine.connect() as conn:
        overrides = await fetch_overrides(conn, shop_id=shop.shop_id)  # type: ignore[arg-type]
    settings = effective(overrides or {})
    return Export(chosen, lang, shop.shop_id, settings["currency"], zone(settings["timezone"]))


ExportDep = Annotated[Export | None, Depends(_export)]
