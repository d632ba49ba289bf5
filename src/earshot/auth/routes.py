"""Login, logout, who-am-I, and the admin's user management API."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, HTTPException, Request, Response, status

from earshot.auth.deps import AdminUser, CurrentUser
from earshot.auth.models import Role
from earshot.auth.schemas import LoginRequest, LoginResponse, UserCreate, UserOut, UserUpdate
from earshot.auth.security import SESSION_COOKIE, issue_token
from earshot.auth.service import (
    UserError,
    UsernameTakenError,
    authenticate,
    create_user,
    list_users,
    update_user,
)
from earshot.auth.throttle import LoginThrottle, throttle_key
from earshot.config import Settings
from earshot.db import SessionDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])


def _login_throttle(request: Request) -> LoginThrottle:
    """The app's one throttle, made on first use so it follows the app's settings."""
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = LoginThrottle.from_settings(request.app.state.settings)
        request.app.state.login_throttle = throttle
    return throttle


def _set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_ttl_minutes * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


@router.post("/api/auth/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> LoginResponse:
    """Check credentials, return a token and set it as the session cookie."""
    settings: Settings = request.app.state.settings
    throttle = _login_throttle(request)
    client_ip = request.client.host if request.client else "unknown"
    key = throttle_key(body.username, client_ip)
    wait = throttle.check(key)
    if wait is not None:
        seconds = math.ceil(wait)
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed logins; try again in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )
    # Counted before the (slow) password check and forgiven on success, so a burst of
    # concurrent guesses cannot all slip past check() before the first failure is recorded.
    throttle.failed(key)
    user = await authenticate(session, body.username, body.password)
    if user is None:
        log.info("failed login for %r from %s", key[0], client_ip)
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="invalid username or password")
    throttle.succeeded(key)
    await session.commit()  # keeps a password hash upgraded by authenticate()
    token, expires_at = issue_token(user, settings)
    _set_session_cookie(response, token, settings)
    log.info("user %r logged in from %s", user.username, client_ip)
    return LoginResponse(user=UserOut.model_validate(user), token=token, expires_at=expires_at)


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request) -> Response:
    """Forget the session cookie; a bearer token simply stops being sent by the client."""
    settings: Settings = request.app.state.settings
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


@router.get("/api/auth/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("/api/users", response_model=list[UserOut], tags=["users"])
async def get_users(_admin: AdminUser, session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in await list_users(session)]


@router.post("/api/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, tags=["users"])
async def post_user(body: UserCreate, admin: AdminUser, session: SessionDep) -> UserOut:
    try:
        user = await create_user(session, body.username, body.display_name, body.password, body.role)
    except UsernameTakenError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except UserError as exc:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    await session.commit()
    log.info("admin %r created user %r", admin.username, user.username)
    return UserOut.model_validate(user)


@router.patch("/api/users/{user_id}", response_model=UserOut, tags=["users"])
async def patch_user(user_id: int, body: UserUpdate, admin: AdminUser, session: SessionDep) -> UserOut:
    if user_id == admin.id:
        # Guarantees the system always keeps at least one active admin: the one acting.
        if body.is_active is False:
            raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail="you cannot disable your own account")
        if body.role is not None and body.role != Role.admin:
            raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail="you cannot remove your own admin role")
    try:
        user = await update_user(
            session,
            user_id,
            display_name=body.display_name,
            role=body.role,
            is_active=body.is_active,
            password=body.password,
        )
    except LookupError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="user not found") from exc
    except UserError as exc:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    await session.commit()
    log.info("admin %r updated user %r", admin.username, user.username)
    return UserOut.model_validate(user)
