"""Reading the app's route table: which access rule each route declares."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from frontdesk.core.access import PERMISSION_ATTRIBUTE, PUBLIC_ATTRIBUTE
from frontdesk.security.auth.deps import authenticate

PUBLIC = "public"
SIGNED_IN = "signed-in"
PERMISSION = "permission"
UNDECLARED = "undeclared"


@dataclass(frozen=True)
class RouteAccess:
    method: str
    path: str
    rule: str
    permission: str | None
    route: Any  # fastapi.routing.RouteContext: the route as mounted (prefix, router deps)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def classify(route: Any) -> tuple[str, str | None]:
    calls = list(_calls(route.dependant))
    for call in calls:
        permission = getattr(call, PERMISSION_ATTRIBUTE, None)
        if permission is not None:
            return PERMISSION, permission
    if any(getattr(call, PUBLIC_ATTRIBUTE, False) for call in calls):
        return PUBLIC, None
    if any(call is authenticate for call in calls):
        return SIGNED_IN, None
    return UNDECLARED, None


def api_routes(app: FastAPI) -> list[RouteAccess]:
    found = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue  # the framework's own /openapi.json and /docs pages
        rule, permission = classify(route)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append(RouteAccess(method, route.path, rule, permission, route))
    return found


def concrete_path(route: Any) -> str:
    """The route's path with its parameters filled by plausible values."""
    path = route.path
    for param in route.dependant.path_params:
        annotation = param.field_info.annotation
        value = str(uuid.uuid4()) if annotation is uuid.UUID else "x"
        path = path.replace("{" + param.name + "}", value)
    return path


def has_body(route: Any) -> bool:
    return bool(route.dependant.body_params)
