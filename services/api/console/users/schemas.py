"""Console users as /admin creates and lists them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...performance.params import NO_NUL
from ..passwords import MIN_LENGTH

Role = Literal["manager", "agent"]
EMAIL_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+$"


class ConsoleUserIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "manager@example.com",
                    "display_name": "王经理",
                    "role": "manager",
                    "password": "a long passphrase",
                },
                {
                    "email": "xiaomei@example.com",
                    "display_name": "小美",
                    "role": "agent",
                    "agent_id": "小美",
                    "password": "another passphrase",
                },
            ]
        },
    )

    email: Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]
    display_name: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
    role: Role = Field(description="manager: the whole shop; agent: one agent_id's numbers")
    agent_id: Annotated[str | None, Field(max_length=128, pattern=NO_NUL)] = Field(
        default=None, description="The agent this user is (role agent only)"
    )
    password: Annotated[str, Field(min_length=MIN_LENGTH, max_length=1024)]

    @model_validator(mode="after")
    def _agent_iff_role(self) -> ConsoleUserIn:
        if (self.role == "agent") != (self.agent_id is not None):
            raise ValueError("agent_id is required for role agent and refused for manager")
        return self


class ConsoleUserOut(BaseModel):
    user_id: str
    shop_id: str
    email: str
    display_name: str
    role: Role
    agent_id: str | None
    created_at: datetime
