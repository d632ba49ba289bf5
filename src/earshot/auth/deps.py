"""FastAPI dependencies that find the logged-in staff member and check their role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket, status

from earshot.auth.logins import user_for_token
from earshot.auth.models import Role, User
from earshot.auth.security import SESSION_COOKIE, decode_token
from earshot.auth.sockets import StaffSockets
from earshot.config import Settings
from earshot.db import Database, SessionDep


def token_from(headers: Mapping[str, str], cookies: Mapping[str, str]) -> str | None:
    """The session token from `Authorization: Bearer ...`, else from the session cookie."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return cookies.get(SESSION_COOKIE) or None


def _not_logged_in() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="not logged in",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_user(request: Request, session: SessionDep) -> User:
    """The active user the request's token names, while its login is open; 401 otherwise.

    The account and the login are re-read on every request, so disabling the account, changing
    its role, logging out or changing the password takes effect at once, whatever the token says.
    """
    token = token_from(request.headers, request.cookies)
    claims = decode_token(token, request.app.state.settings) if token else None
    user = await user_for_token(session, claims) if claims is not None else None
    if user is None:
        raise _not_logged_in()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(role: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency giving the current user when their role is `role` or above; 403 otherwise."""

    async def user_with_role(user: CurrentUser) -> User:
        if not Role(user.role).at_least(role):
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=f"requires the {role.value} role")
        return user

    user_with_role.__name__ = f"require_{role.value}"
    return user_with_role


AgentUser = Annotated[User, Depends(require_role(Role.agent))]
SupervisorUser = Annotated[User, Depends(require_role(Role.supervisor))]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]


@dataclass(frozen=True)
class SignedIn:
    """A staff member and the login (token) they came in with."""

    user: User
    login_id: str


async def signed_in_from_websocket(websocket: WebSocket, db: Database, settings: Settings) -> SignedIn | None:
    """The active user and open login behind a WebSocket handshake, or None.

    Browsers cannot set headers on a WebSocket, so for them the session cookie is the way in;
    other clients may send `Authorization: Bearer ...`.
    """
    token = token_from(websocket.headers, websocket.cookies)
    claims = decode_token(token, settings) if token else None
    if claims is None:
        return None
    async with db.sessions() as session:
        user = await user_for_token(session, claims)
    return SignedIn(user, claims.login_id) if user is not None else None


def get_staff_sockets(request: Request) -> StaffSockets:
    sockets: StaffSockets = request.app.state.staff_sockets
    return sockets


StaffSocketsDep = Annotated[StaffSockets, Depends(get_staff_sockets)]
