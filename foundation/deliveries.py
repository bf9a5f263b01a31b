"""Reading deliveries with their history, reporting receipts, and re-driving failures."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.errors import ClerkError
from foundation.history import append_event
from foundation.models import Delivery, DeliveryEvent, DeliveryState
from foundation.models.clock import iso, utcnow
from foundation.outbox import add_delivery_messages
from foundation.receipts import LABELS, ReceiptStatus, check_transition, is_confirmed


async def get_delivery(session: AsyncSession, delivery_id: str, *, lock: bool = False) -> Delivery:
    """The delivery, or a 404 naming the id."""
    delivery = await session.get(Delivery, delivery_id, with_for_update=lock)
    if delivery is None:
        raise ClerkError(404, "delivery_not_found", f"No delivery has id {delivery_id!r}.")
    return delivery


async def history_of(session: AsyncSession, delivery_ids: list[str]) -> dict[str, list[Any]]:
    """The history rows of the deliveries, oldest first, grouped by delivery id."""
    query = (
        select(DeliveryEvent)
        .where(col(DeliveryEvent.delivery_id).in_(delivery_ids))
        .order_by(col(DeliveryEvent.id))
    )
    grouped: dict[str, list[Any]] = {d: [] for d in delivery_ids}
    for event in (await session.exec(query)).all():
        grouped[event.delivery_id].append(
            {
                "at": iso(event.at),
                "kind": event.kind,
                "value": event.value,
                "note": event.note,
                "actor": event.actor,
            }
        )
    return grouped


async def document_deliveries(
    session: AsyncSession, document_id: str
) -> tuple[list[Delivery], dict[str, list[Any]]]:
    """The document's deliveries, by agency id, and the history of each."""
    query = (
        select(Delivery)
        .where(Delivery.document_id == document_id)
        .order_by(col(Delivery.agency_id))
    )
    deliveries = list((await session.exec(query)).all())
    return deliveries, await history_of(session, [d.id for d in deliveries])


def delivery_view(delivery: Delivery, history: list[Any] | None = None) -> dict[str, Any]:
    """A delivery as JSON: state, receipt with its label, why the agency receives it."""
    view: dict[str, Any] = {
        "id": delivery.id,
        "document_id": delivery.document_id,
        "agency_id": delivery.agency_id,
        "agency_name": delivery.agency_name,
        "state": delivery.state,
        "channel": delivery.channel,
        "failure": delivery.failure,
        "receipt": delivery.receipt,
        "receipt_label": LABELS[ReceiptStatus(delivery.receipt)] if delivery.receipt else None,
        "confirmed": delivery.confirmed_at is not None,
        "confirmed_at": iso(delivery.confirmed_at),
        "due_at": iso(delivery.due_at),
        "backfill_of": delivery.backfill_of,
        "reasons": delivery.reasons,
        # A recall or update asked of the agency: 13 asked, 15 agreed, 16 refused.
        "recall": delivery.recall,
        # Rounds of attempts that met a transient fault, and when the next round is due.
        "attempt_rounds": delivery.attempt_rounds,
        "next_round_at": iso(delivery.retry_at),
    }
    if history is not None:
        view["history"] = history
    return view


async def report_receipt(
    session: AsyncSession,
    delivery: Delivery,
    status: ReceiptStatus,
    reason: str | None,
    actor: str,
) -> bool:
    """Record the agency's status if the transition is allowed; False if nothing changed."""
    if delivery.state != DeliveryState.DELIVERED:
        raise ClerkError(
            409,
            "not_delivered",
            f"This delivery is {delivery.state}; a status can be reported once it is delivered.",
        )
    if not check_transition(delivery.receipt, status, reason):
        return False
    delivery.receipt = status
    delivery.updated_at = utcnow()
    if not is_confirmed(status):
        delivery.confirmed_at = None  # a rejection after 01: not confirmed, whatever came first
    elif delivery.confirmed_at is None:
        delivery.confirmed_at = delivery.updated_at
    append_event(session, delivery, "receipt", status, note=reason, actor=actor)
    return True


async def retry_delivery(session: AsyncSession, delivery_id: str, actor: str) -> Delivery:
    """Send a failed (or stuck pending) delivery again through its channel."""
    delivery = await get_delivery(session, delivery_id, lock=True)
    if delivery.state == DeliveryState.DELIVERED:
        raise ClerkError(409, "already_delivered", f"Delivery {delivery_id} is already delivered.")
    if delivery.state == DeliveryState.FAILED:
        delivery.state, delivery.failure, delivery.updated_at = (
            DeliveryState.PENDING,
            None,
            utcnow(),
        )
        append_event(
            session, delivery, "state", DeliveryState.PENDING, note="retry requested", actor=actor
        )
    # Now, and with a fresh retry schedule, even if it was waiting for a later round.
    delivery.attempt_rounds, delivery.retry_at = 0, None
    session.add(delivery)
    add_delivery_messages(session, [delivery.id])
    return delivery
