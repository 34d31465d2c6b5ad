"""Shops as the operator creates and sees them (SPEC §10)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ..shop_settings.schemas import ShopSettingsOut, ShopSettingsPatch

SHOP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


class ShopCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "shop_id": "tmall-8812",
                    "name": "Tmall flagship",
                    "settings": {"timezone": "Asia/Shanghai"},
                }
            ]
        },
    )

    shop_id: str = Field(pattern=SHOP_ID_PATTERN, description="The shop_id its events carry")
    name: str = Field(min_length=1, max_length=200)
    settings: ShopSettingsPatch | None = Field(default=None, description="SPEC §3 overrides")


class ShopUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: ShopSettingsPatch | None = None


class ShopOut(BaseModel):
    shop_id: str
    name: str
    settings: ShopSettingsOut
    watermark: datetime | None = Field(description="Latest event time seen for the shop")
    created_at: datetime
    updated_at: datetime
