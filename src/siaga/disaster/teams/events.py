"""Team activation: event names and payload schemas.

Two topics. "teams" (disaster.view) feeds the managers' live roster; "activations" (volunteer.respond)
feeds the volunteers' phone page. The live stream delivers by organisation, not by person, so every
volunteer of an organisation receives the "activations" events of their colleagues: payloads therefore
carry ids and states only, never a name, a phone number or a distance. A page that receives one reads
its own data again from the server, which decides what the user may see.
"""

from __future__ import annotations

import pydantic

from siaga.core.events import event_type


@event_type("team.saved", topic="teams")
class TeamSaved(pydantic.BaseModel):
    id: int
    organization_id: int
    name: str
    kind: str
    active: bool
    member_count: int


@event_type("activation.created", topic="teams")
class ActivationCreated(pydantic.BaseModel):
    id: int
    event_id: int
    organization_id: int
    number_needed: int
    max_travel_km: int
    state: str


@event_type("activation.state_changed", topic="teams")
class ActivationStateChanged(pydantic.BaseModel):
    id: int
    event_id: int
    state: str
    accepted: int
    number_needed: int


@event_type("roster.changed", topic="teams")
class RosterChanged(pydantic.BaseModel):
    """One line of an event's roster changed: alerted, answered, checked in or out, withdrawn, or a shift ran past
    its limit (no personal data)."""

    event_id: int
    activation_id: int
    alert_ids: list[int]
    change: str  # alerted | answered | checked_in | checked_out | withdrawn | over_shift_limit
    answer: str | None = None
    assignment_id: int | None = None
    over_shift_limit: bool = False


@event_type("activation.alerted", topic="activations")
class VolunteerAlerted(pydantic.BaseModel):
    """New alerts for volunteers of the receiving organisation; a phone page reloads its own list."""

    activation_id: int
    alert_ids: list[int]


@event_type("activation.alert_changed", topic="activations")
class AlertChanged(pydantic.BaseModel):
    """An alert's answer, its assignment or its activation's state changed (ids and states only)."""

    activation_id: int
    alert_ids: list[int]
    activation_state: str
    answer: str | None = None
