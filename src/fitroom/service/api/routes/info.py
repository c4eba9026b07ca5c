"""What this server runs (engine, weights and their licence) and the sample photo (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from fitroom.service.api.deps import ServicesDep, client_ip, rate_limit
from fitroom.service.engine import weights_card
from fitroom.service.errors import not_found
from fitroom.service.schemas import InfoPublic

router = APIRouter(tags=["info"])

SAMPLE_PERSON_URL = "/v1/samples/person"
MODEL_CARD_URL = "/v1/info/model-card"

_ENGINES = {
    "learned": "A trained garment-warp network places the garment; fitroom's compositor keeps your own face, "
               "arms and background.",
    "classical": "Garment landmarks and a thin-plate spline place the garment (no trained networks).",
}


@router.get("/info", response_model=InfoPublic)
def info(request: Request, svc: ServicesDep) -> InfoPublic:
    """The try-on engine this server runs and, for the learned one, the weights it loaded and
    their licence (read from their model card)."""
    rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
    engine = svc.engine.pipe.engine
    card = weights_card(svc.engine.pipe.weights) if engine == "learned" else None
    return InfoPublic(engine=engine, engine_description=_ENGINES[engine],
                      weights=card.name if card else None, licence=card.licence if card else None,
                      licence_note=card.licence_note if card else None,
                      training_data=card.training_data or None if card else None,
                      model_card_url=MODEL_CARD_URL if card else None, sample_person_url=SAMPLE_PERSON_URL)


@router.get("/info/model-card", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "The model card (Markdown, sent as "
                                                                          "plain text so that browsers show it)."}})
def model_card(request: Request, svc: ServicesDep) -> Response:
    """The model card of the weights this server runs (404 with the classical engine)."""
    rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
    card = weights_card(svc.engine.pipe.weights) if svc.engine.pipe.engine == "learned" else None
    if card is None:
        raise not_found("model card")
    return Response((card.path / "MODEL_CARD.md").read_bytes(), media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.get("/samples/person", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}, "description": "The sample photo."}})
def sample_person(request: Request, svc: ServicesDep) -> FileResponse:
    """A sample person photo that ships with fitroom (NASA portrait, public domain): upload it
    with ``POST /v1/photos`` to see a try-on before using a photo of yourself."""
    from fitroom.examples import example_person

    rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
    return FileResponse(example_person(), media_type="image/jpeg", filename="sample-photo.jpg",
                        content_disposition_type="inline", headers={"Cache-Control": "public, max-age=86400"})
