"""What every page shows the same way: the service's errors said in Vietnamese with the
service's own detail kept."""

from __future__ import annotations

from docroute.web.pages import said
from foundation.errors import ClerkError


def test_known_errors_are_said_in_vietnamese_with_the_detail() -> None:
    error = ClerkError(422, "reason_required", "Status 02 (rejected) needs a reason.")
    assert said(error).startswith("Từ chối văn bản phải ghi lý do")
    assert "needs a reason" in said(error)
    unknown = ClerkError(409, "something_new", "Một câu đầy đủ.")
    assert said(unknown) == "Một câu đầy đủ."
