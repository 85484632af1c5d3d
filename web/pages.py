"""Public pages: the widget's demo host page, a procedure's page (printable, with a QR code)
and our guide to filing online with a VNeID account."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO

import qrcode
from qrcode.image.svg import SvgPathImage
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from web.catalog import CODE, Catalog
from web.present import view


def render(request: Request, name: str, context: dict | None = None, status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context or {}, status_code=status)


def procedure_url(request: Request, code: str) -> str:
    # From the configuration only: a request's Host header would end up in cached QR codes.
    return f"{request.app.state.settings.public_url}/thu-tuc/{code}"


async def home(request: Request) -> Response:
    return render(request, "home.html")


async def procedure(request: Request) -> Response:
    code = request.path_params["code"]
    catalog: Catalog = request.app.state.catalog
    found = await run_in_threadpool(catalog.get, code) if CODE.match(code) else None
    if found is None:
        raise HTTPException(404, "Không tìm thấy thủ tục có mã này.")
    return render(request, "procedure.html", {"v": view(found), "page_url": procedure_url(request, code)})


@lru_cache(maxsize=512)
def qr_svg(url: str) -> bytes:
    """A QR code of `url` as a small SVG (one path, no script); medium error correction survives print."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4, image_factory=SvgPathImage
    )
    code.add_data(url)
    code.make(fit=True)
    out = BytesIO()
    code.make_image().save(out)
    return out.getvalue()


async def procedure_qr(request: Request) -> Response:
    code = request.path_params["code"]
    catalog: Catalog = request.app.state.catalog
    if not CODE.match(code) or await run_in_threadpool(catalog.get, code) is None:
        raise HTTPException(404, "Không tìm thấy thủ tục có mã này.")
    svg = qr_svg(procedure_url(request, code))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


async def guide(request: Request) -> Response:
    return render(request, "guide.html")


async def health(request: Request) -> Response:
    catalog: Catalog = request.app.state.catalog
    return JSONResponse({"status": "ok", "knowledge": "index" if catalog.knowledge() else "curated"})


routes = [
    Route("/", home),
    Route("/thu-tuc/{code}", procedure),
    Route("/thu-tuc/{code}/qr.svg", procedure_qr),
    Route("/huong-dan", guide),
    Route("/healthz", health),
]
