"""Dependency aliases for the two APIs: the automation one and the management one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from payrec.server.auth.dependencies import require_admin_or_agent_read, require_roles
from payrec.server.auth.roles import Role
from payrec.server.context import RequestContext, context_dependency

AutomationContext = Annotated[
    RequestContext, context_dependency(require_roles(Role.AUTOMATION_SERVICE))
]
ManagementContext = Annotated[
    RequestContext, context_dependency(Depends(require_admin_or_agent_read))
]
AdminContext = Annotated[RequestContext, context_dependency(require_roles(Role.ADMIN))]
StaffContext = Annotated[RequestContext, context_dependency(require_roles(Role.ADMIN, Role.AGENT))]
"""ADMIN or AGENT, reads and writes: the work collectors do themselves (reviewing documents)."""
