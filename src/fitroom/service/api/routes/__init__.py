"""The API's routers: ``api_router`` is mounted under ``/v1``; ``health_router`` at the root."""

from fastapi import APIRouter

from fitroom.service.api.routes import auth, garments, health, info, me, photos, shared, shares, tryons
from fitroom.service.schemas import ErrorPublic

_errors = {code: {"model": ErrorPublic} for code in (401, 404, 422, 429)}

api_router = APIRouter(responses=_errors)
api_router.include_router(auth.router)
api_router.include_router(me.router)
api_router.include_router(garments.router)
api_router.include_router(photos.router)
api_router.include_router(tryons.router)
api_router.include_router(shared.router)
api_router.include_router(shares.router)
api_router.include_router(info.router)

health_router = health.router

__all__ = ["api_router", "health_router"]
