"""Another tenant never sees, votes on, answers or reads this tenant's suggestions and surveys;
odd ids in URLs and forms are refused plainly, never a 500."""

from __future__ import annotations

from typing import Any

from tests.community.conftest import Session, login, text
from tests.conftest import add_registration
from tests.harness import INSTRUCTOR, LEARNER, FakeLms
from tests.voice.test_pulse import role_id, schedule
from tests.voice.test_suggestions import suggest


def test_another_tenant_never_sees_them(
    clean_app: Any, tool_server: str, chloe: Session, ana: Session
) -> None:
    sid = suggest(ana, "Tenant one suggestion")
    pid = schedule(chloe, "everyone", title="Tenant one pulse")
    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    try:
        other.connect(tool_server)
        add_registration(clean_app, other)
        zed = login(other, "zed", [LEARNER], "Zed Zee", "zed@example.com")
        tia = login(other, "tia", [INSTRUCTOR], "Tia", "tia@example.com")
        for who in (zed, tia):
            assert "Tenant one suggestion" not in text(who.get("/voice/?status=all"))
            assert "Tenant one pulse" not in text(who.get("/"))
            assert "Tenant one pulse" not in text(who.get("/voice/pulse"))
            for path in (f"/voice/{sid}", f"/voice/pulse/{pid}"):
                assert who.get(path).status_code == 404, path
        assert zed.post(f"/voice/{sid}/vote").status_code == 404
        assert zed.post(f"/voice/pulse/{pid}", {"q1": "5", "q2": "5"}).status_code == 404
        decided = tia.post(f"/voice/{sid}/decide", {"status": "closed", "message": "No"})
        assert decided.status_code == 404
        for path in (f"/voice/pulse/{pid}/results", f"/voice/pulse/{pid}/results.csv"):
            assert tia.get(path).status_code == 404, path
    finally:
        other.server.stop()
    assert "Tenant one suggestion" in text(ana.get("/voice/"))


def test_odd_input_is_refused_plainly(clean_app: Any, chloe: Session, ana: Session) -> None:
    assert ana.get("/voice/99999999999").status_code == 404
    assert ana.get("/voice/pulse/99999999999").status_code == 404
    assert ana.get("/voice/?page=abc&status=weird").status_code == 200
    bad = chloe.post(
        "/voice/pulse/new",
        {"title": "T", "audience": "99999999999", "q1": "Q", "opens_on": "", "closes_on": ""},
    )
    assert bad.status_code == 400 and "Choose the job role" in text(bad)
    pid = schedule(chloe, str(role_id(clean_app, "Tier 1 agent")))
    odd = ana.post(f"/voice/pulse/{pid}", {"q1": "9", "q2": "²"})
    assert odd.status_code == 400 and text(odd).count("Choose a number from 1 to 5.") == 2
    sid = suggest(ana, "Something")
    wrong = chloe.post(
        f"/voice/{sid}/decide", {"status": "planned", "message": "Yes", "path_id": "x"}
    )
    assert wrong.status_code == 400 and "Choose a path from the list" in text(wrong)
