"""Login, logout, who-am-I, and the admin's user management API."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, HTTPException, Request, Response, status

from earshot.auth.deps import AdminUser, CurrentUser, StaffSocketsDep, token_from
from earshot.auth.logins import end_all_logins, end_login, start_login
from earshot.auth.models import Role, User
from earshot.auth.proxies import came_over_https, client_address
from earshot.auth.schemas import LoginRequest, LoginResponse, PasswordChange, UserCreate, UserOut, UserUpdate
from earshot.auth.security import SESSION_COOKIE, decode_token
from earshot.auth.service import (
    UserError,
    UsernameTakenError,
    WrongPasswordError,
    authenticate,
    change_password,
    create_user,
    list_users,
    update_user,
)
from earshot.auth.throttle import Throttle, throttle_key
from earshot.config import Settings
from earshot.db import SessionDep
from earshot.inputs import DbInt

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])


def _login_throttle(request: Request) -> Throttle:
    """The app's one throttle (made in the lifespan: in Redis when the instances share one)."""
    throttle: Throttle = request.app.state.login_throttle
    return throttle


def _cookie_secure(request: Request, settings: Settings) -> bool:
    """Secure whenever the browser reached us over HTTPS, unless the setting forces it either way."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return came_over_https(request, settings)


def _set_session_cookie(request: Request, response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_ttl_minutes * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_cookie_secure(request, settings),
    )


@router.post("/api/auth/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> LoginResponse:
    """Check credentials, return a token and set it as the session cookie."""
    settings: Settings = request.app.state.settings
    throttle = _login_throttle(request)
    client_ip = client_address(request, settings)
    key = throttle_key(body.username, client_ip)
    wait = await throttle.check(key)
    if wait is not None:
        seconds = math.ceil(wait)
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed logins; try again in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )
    # Counted before the (slow) password check and forgiven on success, so a burst of
    # concurrent guesses cannot all slip past check() before the first failure is recorded.
    await throttle.failed(key)
    user = await authenticate(session, body.username, body.password)
    if user is None:
        log.info("failed login for %r from %s", key[0], client_ip)
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="invalid username or password")
    await throttle.succeeded(key)
    token, expires_at = await start_login(session, user, settings)
    await session.commit()  # the login, and a password hash upgraded by authenticate()
    _set_session_cookie(request, response, token, settings)
    log.info("user %r logged in from %s", user.username, client_ip)
    return LoginResponse(user=UserOut.model_validate(user), token=token, expires_at=expires_at)


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, session: SessionDep, sockets: StaffSocketsDep) -> Response:
    """End this login (cookie or bearer token alike): the token is refused from now on, and the
    sockets opened with it close. Other logins of the same user (other browsers) stay."""
    settings: Settings = request.app.state.settings
    token = token_from(request.headers, request.cookies)
    claims = decode_token(token, settings) if token else None
    if claims is not None:
        await end_login(session, claims.login_id)
        await session.commit()
        await sockets.close(claims.user_id, "logged out", login_id=claims.login_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_cookie_secure(request, settings)
    )
    return response


@router.post("/api/auth/password", response_model=LoginResponse)
async def post_password(
    body: PasswordChange,
    user: CurrentUser,
    request: Request,
    response: Response,
    session: SessionDep,
    sockets: StaffSocketsDep,
) -> LoginResponse:
    """Change one's own password. Every login of the account ends (a stolen token with it) and
    this caller gets a fresh one, as the reply and the session cookie."""
    settings: Settings = request.app.state.settings
    try:
        await change_password(session, user, body.current_password, body.new_password)
    except WrongPasswordError as exc:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
    except UserError as exc:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    await end_all_logins(session, user.id)
    token, expires_at = await start_login(session, user, settings)
    await session.commit()
    await sockets.close(user.id, "password changed")
    _set_session_cookie(request, response, token, settings)
    return LoginResponse(user=UserOut.model_validate(user), token=token, expires_at=expires_at)


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
async def patch_user(
    user_id: DbInt, body: UserUpdate, admin: AdminUser, session: SessionDep, sockets: StaffSocketsDep
) -> UserOut:
    if user_id == admin.id:
        # Guarantees the system always keeps at least one active admin: the one acting.
        if body.is_active is False:
            raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail="you cannot disable your own account")
        if body.role is not None and body.role != Role.admin:
            raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail="you cannot remove your own admin role")
    before = await session.get(User, user_id)
    old_role = Role(before.role) if before is not None else None
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
    # A new password or a disabled account ends every login: tokens taken before are dead.
    revoke = body.password is not None or not user.is_active
    if revoke:
        await end_all_logins(session, user.id)
    await session.commit()
    log.info("admin %r updated user %r", admin.username, user.username)
    demoted = old_role is not None and not Role(user.role).at_least(old_role)
    if revoke or demoted:
        # Sockets are checked only at their handshake: close them, and the user comes back (if at
        # all) through a fresh handshake that sees the account as it is now.
        await sockets.close(user.id, "your account was changed; log in again")
    return UserOut.model_validate(user)
