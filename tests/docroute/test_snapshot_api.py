"""/v1/admin/snapshots: an admin imports a directory snapshot once; auditors read and diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from docroute.service import Service
from foundation.models import Role
from rules.snapshots import of_folder

BA_TO = Path(__file__).resolve().parents[1] / "data" / "ba_to"


async def test_admin_imports_once_and_auditor_reads_and_diffs(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """201 then 200 for the same content; the list names the admin token; a diff of an edited
    copy shows the changed field."""
    admin = await tokens(service, Role.ADMIN)
    auditor = await tokens(service, Role.AUDITOR)
    first = of_folder("directory", BA_TO)
    files = dict(first.files)
    files["00_directory.yaml"] = files["00_directory.yaml"].replace(
        "name: Phòng Nội vụ huyện Ba Tơ", "name: Phòng Nội vụ Ba Tơ"
    )
    second = type(first)("directory", files)
    created = await client.post("/v1/admin/snapshots", json=first.to_json(), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == first.id and created.json()["stored"] is True
    again = await client.post("/v1/admin/snapshots", json=first.to_json(), headers=admin)
    assert again.status_code == 200 and again.json()["stored"] is False
    await client.post("/v1/admin/snapshots", json=second.to_json(), headers=admin)
    listed = (await client.get("/v1/admin/snapshots", headers=auditor)).json()
    own = set(service.routing.snapshots.values())  # the service's files, kept at start
    assert {row["id"] for row in listed} == {first.id, second.id} | own
    imported = [row for row in listed if row["id"] not in own]
    assert all(row["imported_by"].endswith("(admin)") for row in imported)
    exported = await client.get(f"/v1/admin/snapshots/{first.id}", headers=auditor)
    assert exported.json() == first.to_json()
    changes = await client.get(f"/v1/admin/snapshots/{first.id}/diff/{second.id}", headers=auditor)
    assert changes.json() == {
        "added": [],
        "removed": [],
        "changed": {"qn.ba-to.phong-noi-vu": ["name"]},
    }


async def test_only_an_admin_imports_and_bad_data_is_a_422(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """An auditor cannot import (403); an invalid directory is refused with its problem."""
    snapshot = of_folder("directory", BA_TO).to_json()
    auditor = await tokens(service, Role.AUDITOR)
    refused = await client.post("/v1/admin/snapshots", json=snapshot, headers=auditor)
    assert refused.status_code == 403
    admin = await tokens(service, Role.ADMIN)
    bad = {"format": "docroute-snapshot/1", "kind": "directory",
           "files": {"x.yaml": "agencies:\n  - {id: a, kind: so}\n"}}
    answer = await client.post("/v1/admin/snapshots", json=bad, headers=admin)
    assert answer.status_code == 422
    assert "x.yaml" in answer.text and "'name'" in answer.text
    missing = await client.get("/v1/admin/snapshots/nope", headers=admin)
    assert missing.status_code == 404
