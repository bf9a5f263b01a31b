"""QCVN 102 receipt statuses an agency reports, and which changes between them are allowed."""

from __future__ import annotations

import enum

from foundation.errors import ClerkError


class ReceiptStatus(enum.StrEnum):
    """Status codes of the QCVN 102:2016 status packet that an agency reports back."""

    ARRIVED = "01"  # đã đến
    REJECTED = "02"  # từ chối tiếp nhận (a reason is required)
    ACCEPTED = "03"  # đã tiếp nhận
    ASSIGNED = "04"  # phân công
    IN_PROGRESS = "05"  # đang xử lý
    DONE = "06"  # hoàn thành


LABELS = {
    ReceiptStatus.ARRIVED: "arrived",
    ReceiptStatus.REJECTED: "rejected",
    ReceiptStatus.ACCEPTED: "accepted",
    ReceiptStatus.ASSIGNED: "assigned",
    ReceiptStatus.IN_PROGRESS: "in progress",
    ReceiptStatus.DONE: "done",
}
# Progress only moves forward; a rejection is final.
_RANK = {None: 0, "01": 1, "03": 2, "04": 3, "05": 4, "06": 5}
# QCVN 102's order: a document is assigned, handled and done (04-06) only once accepted (03).
_AFTER_ACCEPTED = (ReceiptStatus.ASSIGNED, ReceiptStatus.IN_PROGRESS, ReceiptStatus.DONE)


def parse_status(code: str) -> ReceiptStatus:
    """The status for a code, or a 422 naming the codes that exist."""
    try:
        return ReceiptStatus(code)
    except ValueError:
        known = ", ".join(f"{s.value} ({LABELS[s]})" for s in ReceiptStatus)
        raise ClerkError(
            422, "unknown_status", f"Unknown status code {code!r}; use one of: {known}."
        ) from None


def check_transition(current: str | None, new: ReceiptStatus, reason: str | None) -> bool:
    """Raise ClerkError if `current` may not become `new`; return False if nothing changes."""
    if current == ReceiptStatus.REJECTED:
        raise ClerkError(409, "already_rejected", "This delivery was rejected; it cannot change.")
    if new == ReceiptStatus.REJECTED:
        if not (reason and reason.strip()):
            raise ClerkError(422, "reason_required", "Status 02 (rejected) needs a reason.")
        if current not in (None, ReceiptStatus.ARRIVED):
            raise ClerkError(
                409,
                "too_late_to_reject",
                f"The delivery is already {_label(current)}; it can no longer be rejected.",
            )
        return True
    if current == new:
        return False  # the same report sent twice is not an error
    if new in _AFTER_ACCEPTED and _RANK[current] < _RANK[ReceiptStatus.ACCEPTED.value]:
        raise ClerkError(
            409,
            "not_accepted_yet",
            f"The delivery is {_label(current)}; status {new.value} ({LABELS[new]}) comes only "
            "after 03 (accepted): report 03 first.",
        )
    if _RANK[new.value] < _RANK[current]:
        raise ClerkError(
            409,
            "status_backwards",
            f"The delivery is already {current} ({_label(current)}); status "
            f"{new.value} ({LABELS[new]}) would go backwards.",
        )
    return True


def _label(code: str | None) -> str:
    return LABELS[ReceiptStatus(code)] if code else "without status"


def is_confirmed(receipt: str | None) -> bool:
    """The one definition of "confirmed": the agency acknowledged the document (any status but
    none or rejected). `Delivery.confirmed_at` is set with the first such status and cleared by
    a rejection, so reports that read `confirmed_at` agree with views that read the status."""
    return receipt is not None and receipt != ReceiptStatus.REJECTED
