"""Request (…Create) and response (…Public) bodies of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from fitroom.labels import GarmentCategory
from fitroom.service.text import Name, Secret

T = TypeVar("T")

Status = Literal["queued", "running", "succeeded", "failed"]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["No such photo."])


class ErrorPublic(BaseModel):
    error: ErrorDetail


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


# --- accounts -----------------------------------------------------------------------------
class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Name = Field(min_length=3, max_length=320, examples=["ada@example.com"])
    password: Secret = Field(min_length=8, max_length=1024, examples=["correct horse battery"])


class UserPublic(BaseModel):
    id: str
    email: str
    created_at: datetime
    retention_days: int | None = Field(default=None, description="Days your photos and try-on results are kept "
                                       "(None: until you delete them).")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retention_days: int | None = Field(default=None, ge=1, le=3650, description="Keep photos and results this many "
                                       "days (at most the server's); null: the server's period.")


class AuthPublic(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserPublic


ApiKeyScope = Literal["catalog", "tryon"]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(default="default", min_length=1, max_length=100)
    scopes: list[ApiKeyScope] = Field(default=["catalog", "tryon"], min_length=1, max_length=2,
                                      description="catalog: the garments; tryon: photos, try-ons and share links. "
                                                  "Account control (keys, sign-out, erasure) needs a signed-in user.")


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    prefix: str
    scopes: list[ApiKeyScope]
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The key itself; shown only once.")


# --- garments and photos --------------------------------------------------------------------
class GarmentPublic(BaseModel):
    id: str
    name: str
    category: GarmentCategory
    width: int
    height: int
    image_url: str
    mask_url: str
    created_at: datetime
    owner: Literal["demo", "me"]
    source: Literal["product", "tryoff"] = Field(default="product", description=
                                                 "'product': an uploaded product photo; 'tryoff': taken off a person "
                                                 "in a photo (POST /v1/garments/from-photo)")


class GarmentDetail(GarmentPublic):
    landmarks: dict[str, list[float]]
    has_sleeves: bool


class PhotoPublic(BaseModel):
    id: str
    name: str | None = Field(default=None, description="The uploaded file's name (or the name given), for "
                             "people to tell their photos apart; only its owner sees it.")
    width: int
    height: int
    created_at: datetime
    image_url: str


# --- try-ons ------------------------------------------------------------------------------
class TryOnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    photo_id: Name = Field(min_length=1, max_length=64)
    garment_id: Name = Field(min_length=1, max_length=64)


class TryOnPublic(BaseModel):
    id: str
    status: Status
    error: ErrorDetail | None
    photo_id: str
    garment_id: str | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None
    attempts: int
    image_url: str | None


class ShareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_in: int = Field(default=7 * 24 * 3600, gt=0, description="Seconds until the link expires.")
    hide_face: bool = Field(default=False, description="Show the picture with the face pixelated.")


class SharePublic(BaseModel):
    id: str = Field(description="The link's id: DELETE /v1/shares/{id} revokes it.")
    url: str = Field(description="The share page (HTML with the picture and Open Graph tags), no sign-in needed. "
                                 "Shown only here: only a hash of its secret is stored.")
    image_url: str = Field(description="The shared picture itself (JPEG).")
    expires_at: datetime


class ShareListed(BaseModel):
    id: str
    tryon_id: str
    hide_face: bool
    created_at: datetime
    expires_at: datetime
    expired: bool


class InfoPublic(BaseModel):
    """What this server runs: its try-on engine and, for the learned one, its weights."""

    engine: Literal["classical", "learned"]
    engine_description: str
    weights: str | None = Field(description="The networks' name (their model card's title); none for classical.")
    licence: str | None = Field(description="The weights' licence (SPDX id), as their model card says.")
    licence_note: str | None = Field(description="The model card's licence line in full.")
    training_data: str | None = Field(description="What the weights were trained on, as their model card says.")
    model_card_url: str | None
    sample_person_url: str = Field(description="A sample person photo (public domain) to try garments on.")


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    queue: str
    queue_depth: int
