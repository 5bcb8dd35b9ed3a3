"""Wrong input never answers 5xx on forms the demo's pages draw only in a later state.

tests/test_wrong_input.py posts the forms a crawl of the demo finds. Some forms are live only
in a state the demo never shows, so there they got an empty post or a junk address at most.
Here each of those states is brought about through Wayfinder's own pages, as a person would:

- the catalog plan: Ana's item planned, waiting for her leader, enrolled, done (ask, enrol,
  done), and her LMS courses as the demo has them;
- a KPI import: Chloe uploads a CSV file, previews it, applies it;
- a path step waiting for a sign-off, which Ben (her team lead) decides;
- Wayfinder's signing keys, rotated and pruned from the admin pages (ADMIN_PAGES_INSTALLATION_WIDE);
- the deep-linking picker of a deep-linking launch (the demo LMS's "add an activity" screen);
- the practice page of grade sync (GRADES_PRACTICE_PAGE), in the demo's connected course;
- an LMS job-role value no role matches, mapped to a role (in another LMS, whose launches can
  send any job role).

Each form is read from the page that draws it (its fields, its CSRF token) and posted again and
again, the state brought about anew before each post: empty (the CSRF token alone), without the
CSRF token, with a junk CSRF token, with every field the same junk, with the page's values and
one field junk, with one field missing; and at rows of another LMS (tenant) or of another
person. CSV files get the same junk in each of their cells. Only an answer of 500 or more, or a
page showing a traceback, is a failure; where the app refuses (4xx), what was there is still
there. Run on PostgreSQL too (WAYFINDER_TEST_DATABASE_URL), which refuses NUL characters,
over-long strings and out-of-range integers that SQLite keeps.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lti_tool.catalog.models import CatalogItem, PlanItem, PlanStatus
from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from lti_tool.grades.models import LineItem, ScoreSend
from lti_tool.grades.views import PRACTICE_ITEM, PRACTICE_LEVELS
from lti_tool.insights.models import KpiImport, KpiValue
from lti_tool.lti.models import ToolKey, utcnow
from lti_tool.paths.models import Assignment, Path, PathNode, SignOffRequest, StepKind
from lti_tool.paths.placements import PathPlacement
from lti_tool.people.models import Person
from lti_tool.request_input import MAX_ID
from lti_tool.roles import services as roles
from lti_tool.roles.models import JobRole
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import login, persona
from tests.conftest import _clean, add_registration, demo_site
from tests.harness import INSTRUCTOR, LEARNER, FakeLms
from tests.test_wrong_input import (
    FIELD_JUNK,
    NUL,
    Form,
    PageParser,
    Walker,
    _short,
    forms_with_junk,
)

OTHER_LMS = "http://other-lms.example"  # the demo data again, in another tenant
ID_JUNK = ("0", str(MAX_ID))
SIGNOFF_KINDS = tuple(k.value for k in StepKind if k.needs_signoff)


@dataclass
class Site:
    """The demo (launched through the development launcher), the same demo data in a second
    tenant, and a third LMS (a FakeLms) whose launches send any job role."""

    app: Any
    tool: str
    tenant: int
    other: int
    lms: FakeLms
    walkers: dict[str, Walker] = field(default_factory=dict)

    def person(self, key: str, launch: Callable[[], str] | None = None) -> Walker:
        if key not in self.walkers:
            self.walkers[key] = Walker(self.app, self.tool, key, launch)
        return self.walkers[key]

    def scalar(self, statement: Any) -> Any:
        with self.app.app_context():
            return db.session.scalar(statement)

    def rows(self, statement: Any) -> list[Any]:
        with self.app.app_context():
            return list(db.session.execute(statement))

    def failures(self) -> list[str]:
        return [failure for w in self.walkers.values() for failure in w.failures]


@pytest.fixture(scope="module")
def site(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _clean(app)
    config = {"GRADES_PRACTICE_PAGE": True, "ADMIN_PAGES_INSTALLATION_WIDE": True}
    tmp = tmp_path_factory.mktemp("states")
    with demo_site(app.config["DATABASE_URL"], tmp, **config) as found:
        with found.app.app_context():
            tenant = demo.seed(found.tool, found.lms).id
            other = demo.seed(found.tool, OTHER_LMS).id
            db.session.commit()
        lms = FakeLms(client_id="states-3", deployment_id="states-dep-3")
        lms.connect(found.tool)
        lms.registration_id = add_registration(found.app, lms)  # type: ignore[attr-defined]
        try:
            yield Site(found.app, found.tool, tenant, other, lms)
        finally:
            lms.server.stop()


@pytest.fixture(autouse=True)
def _own_failures(site: Site) -> None:
    """Each test lists the 5xx answers it met, not those of the tests before it."""
    for walker in site.walkers.values():
        walker.failures.clear()


# --- posting junk to a live form -------------------------------------------------------------


def form_on(walker: Walker, page: str, action: str) -> Form:
    """The form ``page`` draws for ``action`` (a path): its fields as the page offers them, and
    the page's CSRF token, which the walker sends from now on."""
    response = walker.get(page)
    assert response.status_code == 200, (walker.key, page, response.status_code)
    body = response.get_data(as_text=True)
    parser = PageParser(urlsplit(page).path)
    parser.feed(body)
    token = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert token, (walker.key, page)
    walker.csrf = token.group(1)
    for form in parser.forms:
        if urlsplit(form.action).path == action and form.method == "post":
            form.action = action
            return form
    raise AssertionError(f"{walker.key}: {page} draws no form for {action}")


def junk_forms(
    form: Form, own: dict[str, str] | None = None
) -> list[tuple[dict[str, Any], dict[str, bytes]]]:
    """The form with every field the same junk, then the page's values (``own``: those of
    another button) with one field junk or an id of no row, then with one field missing; each
    once."""
    values = own or form.own_values()
    changed = Form(form.action, form.method, {k: [v] for k, v in values.items()}, form.files)
    made = [
        *forms_with_junk(changed),
        # Ids that fit an integer column but name no row here.
        *(({**values, name: junk}, {}) for name in form.fields for junk in ID_JUNK),
        *(({k: v for k, v in values.items() if k != name}, {}) for name in form.fields),
    ]
    seen: set[str] = set()
    unique = []
    for data, files in made:
        key = repr((sorted(data.items()), sorted(files.items())))
        if key not in seen:
            seen.add(key)
            unique.append((data, files))
    return unique


def hammer(
    walker: Walker,
    live: Callable[[], Form],
    kept: Callable[[], Any],
    own: dict[str, str] | None = None,
) -> Counter[int]:
    """Post junk to the form ``live()`` returns, after bringing its state about again each
    time: empty (the CSRF token alone), without the CSRF token or with a junk one, each of
    ``junk_forms``, and last the page's own values. After a refusal (4xx), ``kept()`` reads as
    it did before the post."""
    form = live()
    values = own or form.own_values()
    posts: list[tuple[dict[str, Any], dict[str, bytes], bool]] = [
        ({}, {}, True),
        (values, {}, False),
        *(({**values, "csrf_token": junk}, {}, True) for junk in ("", "x" * 10_000, NUL)),
        *((data, files, True) for data, files in junk_forms(form, own)),
        (values, {}, True),
    ]
    statuses: Counter[int] = Counter()
    for data, files, csrf in posts:
        form = live()
        before = kept()
        response = walker.post(form.action, data, files, csrf=csrf)
        statuses[response.status_code] += 1
        if 400 <= response.status_code < 500:
            after = kept()
            assert after == before, (walker.key, form.action, _short(data), before, after)
    return statuses


def refused_elsewhere(walker: Walker, path: str, data: dict[str, Any], kept: Any) -> None:
    """A form posted at a row of another tenant or another person: 403 or 404, nothing
    changed."""
    before = kept()
    response = walker.post(path, data)
    assert response.status_code in (403, 404), (walker.key, path, response.status_code)
    assert kept() == before


def no_failures(site: Site) -> None:
    failures = site.failures()
    assert not failures, f"{len(failures)} answers of 5xx:\n" + "\n".join(failures)


def see_other(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, response.get_data(as_text=True))
    return str(response.headers["Location"])


# --- the catalog plan ------------------------------------------------------------------------


class Plan:
    """A person's plan entry for one catalog item, brought to a state through their pages."""

    def __init__(self, site: Site, walker: Walker, title: str) -> None:
        self.site, self.walker = site, walker
        self.item = site.scalar(
            select(CatalogItem.id).where(
                CatalogItem.registration_id == site.tenant, CatalogItem.title == title
            )
        )
        assert self.item is not None, title

    def entry(self) -> tuple[int, str] | None:
        row = self.site.rows(
            select(PlanItem.id, PlanItem.status)
            .join(Person, Person.id == PlanItem.person_id)
            .where(PlanItem.item_id == self.item, Person.sub == self.walker.key)
        )
        return (row[0][0], row[0][1]) if row else None

    def _post(self, path: str, data: dict[str, Any] | None = None) -> None:
        see_other(self.walker.post(path, data or {}))

    def to(self, status: str) -> int:
        entry = self.entry()
        if entry is not None and entry[1] == status:
            return entry[0]
        if status == PlanStatus.PLANNED:
            if entry is not None and entry[1] == PlanStatus.REQUESTED:
                self._post(f"/catalog/plan/{entry[0]}/withdraw")
            else:
                if entry is not None:
                    self._post(f"/catalog/plan/{entry[0]}/remove")
                add = form_on(
                    self.walker, f"/catalog/i/{self.item}", f"/catalog/i/{self.item}/plan"
                )
                soon = (utcnow() + timedelta(days=30)).date().isoformat()
                values = {**add.own_values(), "goal_kind": "interest", "target_date": soon}
                self._post(add.action, {**values, "goal_note": "Calmer calls"})
        elif status == PlanStatus.REQUESTED:
            pk = self.to(PlanStatus.PLANNED)
            self._post(f"/catalog/plan/{pk}/ask", {"reason": "To handle angry callers."})
        elif status == PlanStatus.ENROLLED:
            pk = self.to(PlanStatus.PLANNED)
            self._post(f"/catalog/plan/{pk}/enrol")
        elif status == PlanStatus.COMPLETED:
            pk = self.to(PlanStatus.ENROLLED)
            self._post(f"/catalog/plan/{pk}/done")
        entry = self.entry()
        assert entry is not None and entry[1] == status, (self.walker.key, status, entry)
        return entry[0]


def test_plan_ask_enrol_and_done_in_every_state(site: Site) -> None:
    ana, sam = site.person("ana"), site.person("sam")
    video = Plan(site, ana, "Five phrases that calm a caller")  # in Wayfinder, open to all
    pk = video.to(PlanStatus.PLANNED)
    asking = form_on(ana, "/catalog/plan", f"/catalog/plan/{pk}/ask")
    assert set(asking.fields) == {"reason"}
    asked: Counter[int] = Counter()
    for state in (
        PlanStatus.PLANNED,
        PlanStatus.REQUESTED,
        PlanStatus.ENROLLED,
        PlanStatus.COMPLETED,
    ):
        for action in ("ask", "enrol", "done"):

            def live(state: str = state, action: str = action) -> Form:
                pk = video.to(state)
                path = f"/catalog/plan/{pk}/{action}"
                drawn = {
                    PlanStatus.PLANNED: ("ask", "enrol"),
                    PlanStatus.ENROLLED: ("done",),
                }.get(state, ())
                if action in drawn:
                    return form_on(ana, "/catalog/plan", path)
                # Not drawn in this state (a stale page, another tab): the fields it has.
                return Form(path, "post", dict(asking.fields) if action == "ask" else {})

            asked += hammer(ana, live, video.entry)
    assert asked[400] > 10 and asked[303] > 10, asked

    # As the demo has them: an LMS course she is enrolled in, one she completed, and a live
    # session (it needs her leader's approval) waiting for Ben.
    for title in (
        "Handling difficult calls",
        "Empathy on the phone",
        "Shadow a team lead for an afternoon",
    ):
        entry = Plan(site, ana, title)
        before = entry.entry()
        assert before is not None, title
        for action in ("ask", "enrol", "done"):
            form = Form(f"/catalog/plan/{before[0]}/{action}", "post", dict(asking.fields))
            hammer(ana, lambda form=form: form, entry.entry)
        assert entry.entry() == before, title  # none of them applies in its state
    # The live session again, withdrawn: enrolling asks for the leader's approval first.
    shadow = Plan(site, ana, "Shadow a team lead for an afternoon")
    planned = shadow.to(PlanStatus.PLANNED)
    hammer(ana, lambda: Form(f"/catalog/plan/{planned}/enrol", "post", {}), shadow.entry)
    assert shadow.entry() == (planned, PlanStatus.PLANNED)

    # Another person's entry, and Ana's entry in another tenant (the same demo there).
    mine = video.to(PlanStatus.PLANNED)
    elsewhere = site.scalar(
        select(PlanItem.id)
        .join(Person, Person.id == PlanItem.person_id)
        .where(PlanItem.registration_id == site.other, Person.sub == "ana")
    )
    for action in ("ask", "enrol", "done"):
        data = {"reason": "Please"} if action == "ask" else {}
        refused_elsewhere(sam, f"/catalog/plan/{mine}/{action}", data, video.entry)
        refused_elsewhere(ana, f"/catalog/plan/{elsewhere}/{action}", data, video.entry)
    no_failures(site)


# --- KPI import ------------------------------------------------------------------------------

KPI_COLUMNS = ("email", "date", "metric", "value")


def kpi_file(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def kpi_files() -> Iterator[bytes]:
    """A good file, then each cell alone junk, every cell junk, a column missing, a header
    junk."""
    day = (utcnow() - timedelta(days=3)).date().isoformat()
    good = ["ana@example.com", day, "CSAT", "86.5"]
    yield kpi_file([list(KPI_COLUMNS), good])
    for junk in FIELD_JUNK:
        cells = junk if isinstance(junk, list) else [junk]
        for i in range(len(KPI_COLUMNS)):
            for cell in cells:
                yield kpi_file([list(KPI_COLUMNS), [*good[:i], cell, *good[i + 1 :]]])
        yield kpi_file([list(KPI_COLUMNS), [cells[0]] * len(KPI_COLUMNS)])
        yield kpi_file([[*KPI_COLUMNS[:3], cells[0]], good])  # a junk header
        yield kpi_file([["email", "date", "csat"], ["ana@example.com", day, cells[0]]])  # wide
    for i in range(len(KPI_COLUMNS)):
        yield kpi_file([[c for j, c in enumerate(KPI_COLUMNS) if j != i], good[:i] + good[i + 1 :]])


def test_kpi_upload_preview_and_apply(site: Site) -> None:
    chloe = site.person("chloe")
    upload = form_on(chloe, "/insights/kpis", "/insights/kpis")
    assert upload.files == {"file"}

    def values() -> int:
        return int(
            site.scalar(
                select(func.count())
                .select_from(KpiValue)
                .where(KpiValue.registration_id == site.tenant)
            )
        )

    def upload_file(content: bytes) -> str | None:
        """The preview's address, or None when the file itself was refused."""
        sent = chloe.post(upload.action, {}, {"file": content})
        return see_other(sent).split("?")[0] if sent.status_code == 303 else None

    def state(preview: str) -> tuple[int, bool]:
        pk = int(preview.rsplit("/", 1)[1])
        return values(), site.scalar(
            select(KpiImport.applied_at).where(KpiImport.id == pk)
        ) is not None

    applied = refused = 0
    for n, content in enumerate(kpi_files()):
        preview = upload_file(content)
        if preview is None:
            continue
        page = chloe.get(preview)
        assert page.status_code == 200, preview
        drawn = f"{preview}/apply" in page.get_data(as_text=True)
        before = state(preview)
        if n < 2:  # the good file and the first junk one: every kind of post
            apply = Form(f"{preview}/apply", "post", {})
            hammer(chloe, lambda apply=apply: apply, lambda p=preview: state(p))
        else:
            chloe.post(f"{preview}/apply", {})
        if drawn:
            applied += 1
            assert state(preview)[1], content  # applied
        else:
            refused += 1
            assert state(preview) == before, content  # rows to fix: nothing was imported
    assert applied > 5 and refused > 20, (applied, refused)

    # A junk file name (its text is fine).
    good = next(kpi_files())
    for name in ("", "x" * 300 + ".csv", f"kpis{NUL}.csv", "ñ….csv"):
        response = chloe.client.post(
            chloe._url(upload.action),
            data={"csrf_token": chloe.csrf, "file": (io.BytesIO(good), name, "text/csv")},
            base_url=chloe.tool,
        )
        chloe._check("POST", upload.action, {"file name": name}, response)

    # Another tenant's upload.
    elsewhere = site.scalar(select(KpiImport.id).where(KpiImport.registration_id == site.other))
    assert elsewhere is not None
    refused_elsewhere(chloe, f"/insights/kpis/imports/{elsewhere}/apply", {}, values)
    assert chloe.get(f"/insights/kpis/imports/{elsewhere}").status_code == 404
    no_failures(site)


# --- path sign-offs --------------------------------------------------------------------------


def test_signoff_decisions(site: Site) -> None:
    ana, ben, sam = site.person("ana"), site.person("ben"), site.person("sam")
    assignment, version = site.rows(
        select(Assignment.id, Assignment.version_id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.registration_id == site.tenant, Person.sub == "ana")
    )[0]
    steps = [
        key
        for (key,) in site.rows(
            select(PathNode.key)
            .where(PathNode.version_id == version, PathNode.kind.in_(SIGNOFF_KINDS))
            .order_by(PathNode.position, PathNode.id)
        )
    ]

    def pending() -> int | None:
        return site.scalar(
            select(SignOffRequest.id).where(
                SignOffRequest.assignment_id == assignment, SignOffRequest.status == "pending"
            )
        )

    def live() -> Form:
        """Ana's step waiting for a sign-off; after a decision she asks again (on the first
        step not signed off yet) from the step's page."""
        pk = pending()
        if pk is None:
            for key in steps:
                page = f"/paths/a/{assignment}/{key}"
                if 'value="signoff"' in ana.get(page).get_data(as_text=True):
                    step = form_on(ana, page, page)
                    see_other(ana.post(page, {**step.own_values(), "action": "signoff"}))
                    break
            pk = pending()
            assert pk is not None, "no step left to ask a sign-off for"
        return form_on(ben, "/paths/signoffs", f"/paths/signoffs/{pk}")

    def kept() -> tuple[int | None, int]:
        decided = site.scalar(
            select(func.count())
            .select_from(SignOffRequest)
            .where(SignOffRequest.assignment_id == assignment, SignOffRequest.status != "pending")
        )
        return pending(), int(decided)

    form = live()
    assert set(form.fields) == {"note", "decision"}
    # The page's values as Decline sends them: declining keeps steps to ask again for.
    statuses = hammer(ben, live, kept, own={"decision": "decline", "note": "One more shift"})
    assert statuses[400] > 3 and statuses[303] > 3, statuses
    # Signing off with a note too long (refused, still waiting), then a real sign-off.
    for note, status in (("x" * 10_000, 400), ("9" * 10_000, 400), ("ñ…", 303)):
        form, before = live(), kept()
        assert ben.post(form.action, {"decision": "approve", "note": note}).status_code == status
        assert (kept() == before) == (status == 400)

    pk = live().action.rsplit("/", 1)[1]
    elsewhere = site.scalar(
        select(SignOffRequest.id).where(SignOffRequest.registration_id == site.other)
    )
    assert elsewhere is not None
    for decision in ("approve", "decline"):
        data = {"decision": decision, "note": "Not yours"}
        refused_elsewhere(sam, f"/paths/signoffs/{pk}", data, kept)  # not her team lead
        refused_elsewhere(ana, f"/paths/signoffs/{pk}", data, kept)  # her own request
        refused_elsewhere(ben, f"/paths/signoffs/{elsewhere}", data, kept)
    no_failures(site)


# --- signing keys ----------------------------------------------------------------------------


def test_key_rotation_and_pruning(site: Site) -> None:
    dev, ana = site.person("dev"), site.person("ana")

    def keys() -> list[tuple[str, str]]:
        return [(r.kid, r.status.value) for r in site.rows(select(ToolKey.kid, ToolKey.status))]

    rotated = hammer(dev, lambda: form_on(dev, "/admin/keys/rotate", "/admin/keys/rotate"), keys)
    pruned = hammer(dev, lambda: form_on(dev, "/admin/keys", "/admin/keys/prune"), keys)
    assert rotated[303] and pruned[303], (rotated, pruned)
    for path in ("/admin/keys/rotate", "/admin/keys/prune"):
        refused_elsewhere(ana, path, {}, keys)  # a learner
    no_failures(site)


# --- deep linking ----------------------------------------------------------------------------


def test_deep_linking_choices(site: Site) -> None:
    chloe = site.person(
        "chloe-deep-linking", lambda: persona(site.tool, "chloe", message="deep_link").token
    )

    def placed() -> int:
        return int(site.scalar(select(func.count()).select_from(PathPlacement)))

    picker = form_on(chloe, "/deeplinking/", "/deeplinking/")
    assert {"item", "action"} <= set(picker.fields), picker.fields
    statuses = hammer(chloe, lambda: form_on(chloe, "/deeplinking/", "/deeplinking/"), placed)
    assert statuses[200] and statuses[400], statuses

    # What another tenant has to place: its catalog items and paths.
    item = site.scalar(select(CatalogItem.id).where(CatalogItem.registration_id == site.other))
    path = site.scalar(select(Path.id).where(Path.registration_id == site.other))
    for key in (f"catalog:{item}", f"path:{path}"):
        before = placed()
        response = chloe.post("/deeplinking/", {"item": key, "action": "place"})
        assert response.status_code == 400, key
        assert "no longer available" in response.get_data(as_text=True)
        assert placed() == before
    no_failures(site)


# --- grade sync practice ---------------------------------------------------------------------


def test_practice_score(site: Site) -> None:
    ana = site.person("ana")

    def scores() -> int:
        return int(
            site.scalar(
                select(func.count())
                .select_from(ScoreSend)
                .join(LineItem, LineItem.id == ScoreSend.line_item_id)
                .join(Person, Person.id == ScoreSend.person_id)
                .where(LineItem.item_key == PRACTICE_ITEM, Person.sub == "ana")
            )
        )

    def live() -> Form:
        return form_on(ana, "/grades/practice", "/grades/practice")

    assert set(live().fields) == {"level"}
    assert set(live().fields["level"]) == set(PRACTICE_LEVELS)
    before = scores()
    statuses = hammer(ana, live, scores)
    assert statuses[303], statuses
    # Junk is asked again; only the page's own choice, posted last, records a score.
    assert scores() == before + 1, (before, scores())
    no_failures(site)


# --- unmatched job-role values ---------------------------------------------------------------


def test_mapping_an_unmatched_job_role_value(site: Site) -> None:
    lms = site.lms

    def launch_chloe() -> str:
        return login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", "Trainer").token

    chloe = site.person("chloe-other-lms", launch_chloe)
    see_other(chloe.post("/roles/starter", {}))
    login(lms, "lena", [LEARNER], "Lena Fischer", "lena@example.com", "Workforce planner")
    tenant = lms.registration_id  # type: ignore[attr-defined]

    def unmatched() -> list[str]:
        with site.app.app_context(), tenant_scope(db.session, tenant):
            return [u.value for u in roles.unmatched_values()]

    def live() -> Form:
        """The value stays on the page until the page's own values (posted last) map it:
        junk never maps it, nor takes it away."""
        form = form_on(chloe, "/roles/unmatched", "/roles/unmatched/map")
        assert form.fields["value"] == ["Workforce planner"]
        return form

    hammer(chloe, live, unmatched)
    assert unmatched() == []

    # A role of another tenant (the demo's): refused, and that role is as it was.
    role = site.scalar(select(JobRole.id).where(JobRole.registration_id == site.tenant))
    aliases = site.scalar(select(JobRole.aliases).where(JobRole.id == role))
    response = chloe.post("/roles/unmatched/map", {"value": "Night owl", "role_id": role})
    assert response.status_code == 303
    assert site.scalar(select(JobRole.aliases).where(JobRole.id == role)) == aliases
    assert not any("Night owl" in (names or []) for (names,) in site.rows(select(JobRole.aliases)))
    no_failures(site)
