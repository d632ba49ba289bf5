"""Imports every table so that Alembic and tests see one complete metadata."""

from earshot.auth.models import Login, User
from earshot.calls.models import AgentSeat, Call, Instance, SeatDecline
from earshot.customers.models import Customer, Order, Ticket
from earshot.db import Base
from earshot.metrics.models import AgentDay, AgentEvent, AgentTime, CallFactsRow, MetricAlert
from earshot.sessions.models import CallEvent, CallHistoryRow

__all__ = [
    "AgentDay", "AgentEvent", "AgentSeat", "AgentTime", "Base", "Call", "Instance", "SeatDecline", "CallEvent", "CallFactsRow", "CallHistoryRow", "Customer", "Login", "MetricAlert", "Order", "Ticket", "User"
]
