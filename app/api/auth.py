"""Optional bearer tokens: for the routes that write (``API_TOKENS``), and for the routes
that read too when ``API_AUTH_READS`` is set. Probes and metrics stay open: Kubernetes and
Prometheus call them without credentials."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.backend import backend_of
from app.api.models import Problem

_bearer = HTTPBearer(
    auto_error=False,
    description="One of API_TOKENS; needed only when the instance is configured with them.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _check(tokens: frozenset[str], credentials: HTTPAuthorizationCredentials | None) -> None:
    given = credentials.credentials.encode() if credentials is not None else b""
    # Compare with every token, in constant time: the answer tells nothing about a near miss.
    matched = [hmac.compare_digest(given, token.encode()) for token in tokens]
    if not any(matched):
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )


def writer(request: Request, credentials: Credentials) -> None:
    tokens = backend_of(request).settings.api_tokens
    if tokens:
        _check(tokens, credentials)


def reader(request: Request, credentials: Credentials) -> None:
    settings = backend_of(request).settings
    if settings.api_tokens and settings.api_auth_reads:
        _check(settings.api_tokens, credentials)


WRITE = [Depends(writer)]
READ = [Depends(reader)]
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "API_TOKENS is set and no valid token was given"}
}
