"""Request and response bodies of the login and user-management API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from earshot.auth.models import Role


class LoginRequest(BaseModel):
    """Credentials; limits here only keep absurd input away from the password hasher."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    """A staff account as the API shows it; never includes the password hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime


class LoginResponse(BaseModel):
    """The logged-in user and their token (also set as the session cookie)."""

    user: UserOut
    token: str
    expires_at: datetime


class UserCreate(BaseModel):
    """A new account; auth.service applies the full username and password rules."""

    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=8, max_length=1024)
    role: Role


class UserUpdate(BaseModel):
    """Fields left out (or null) are not changed."""

    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1024)


class PasswordChange(BaseModel):
    """A staff member changing their own password; every other login of theirs ends."""

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)
