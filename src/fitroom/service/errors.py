"""Every error the API returns is JSON: ``{"error": {"code": "...", "message": "..."}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fitroom.errors import FitroomError, ImageTooLargeError

__all__ = ["NO_STORE", "ApiError", "error_body", "fitroom_error_status", "install_error_handlers"]

log = logging.getLogger("fitroom.service")

#: headers of private images (photos, results, a user's own garments): no browser or proxy
#: may keep a copy, so that nothing is shown from a cache once the user deleted it
NO_STORE = {"Cache-Control": "no-store"}


class ApiError(Exception):
    """An error with an HTTP status, a machine-readable code and one human sentence."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def fitroom_error_status(e: FitroomError) -> int:
    return 413 if isinstance(e, ImageTooLargeError) else 422


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 410: "gone",
                 413: "too_large", 415: "unsupported_media_type", 422: "validation_error",
                 429: "rate_limited", 503: "unavailable"}
_STATUS_MESSAGES = {404: "Nothing is here.", 405: "This method is not allowed here.",
                    401: "Sign in first.", 400: "The request is malformed."}


def _sentence(s: str, capitalize: bool = True) -> str:
    s = s.strip()
    if capitalize:
        s = s[:1].upper() + s[1:]
    return s if s.endswith((".", "?", "!")) else s + "."


def _validation_message(exc: RequestValidationError) -> str:
    errs = exc.errors()
    if not errs:
        return "The request is not valid."
    e = errs[0]
    loc = [str(x) for x in e.get("loc", ()) if x not in ("body",)]
    where = " ".join(loc[1:] if loc and loc[0] in ("query", "path", "header", "cookie") else loc)
    if loc and loc[0] == "header":
        where = f"header {where}"
    msg = e.get("msg", "is not valid")
    if e.get("type") == "missing":
        return _sentence(f"{where} is required" if where else "A required field is missing", capitalize=not where)
    if e.get("type") in ("json_invalid",):
        return "The request body is not valid JSON."
    return _sentence(f"{where}: {msg[:1].lower() + msg[1:]}" if where else msg, capitalize=not where)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError):
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(FitroomError)
    async def _fitroom(_: Request, exc: FitroomError):
        return JSONResponse(error_body(exc.code, _sentence(str(exc))), status_code=fitroom_error_status(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return JSONResponse(error_body("validation_error", _validation_message(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        if detail in (None, "Not Found", "Method Not Allowed") or not detail:
            detail = _STATUS_MESSAGES.get(exc.status_code, "The request could not be served.")
        return JSONResponse(error_body(code, _sentence(detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception):  # pragma: no cover - a bug, logged
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "Something went wrong on our side; please try again."),
                            status_code=500)
