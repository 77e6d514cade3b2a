"""The digital-maturity self-assessment: the questionnaire, scores from answers, questions
measured from the tenant's own data (requests in the warehouse, accessibility statement,
catalog, sources, portfolio) overriding the answers, recommendations for weak dimensions only,
the pages, the PDF and the workbook, rights and tenant isolation."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from pypdf import PdfReader

from pilotis.catalog.models import Dataset, QualityCheck, QualityStatus
from pilotis.connectors.models import Source
from pilotis.portfolio import maturity
from pilotis.portfolio import maturity_measures as measures
from pilotis.portfolio.models import ChangeAction, MaturityAssessment, PlanObjective, Project
from pilotis.shell.models import AccessibilityStatement
from pilotis.tenants.roles import Role
from tests.requests.test_page import write_requests
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

TODAY = timezone.localdate()


@pytest.fixture
def town(db, warehouse):
    return TenantFactory(code="35049", name="Cancale", population=5672)


def answers(level: int = 1, **levels: int) -> dict[str, int]:
    """Every question at `level`, except those given (`strategy__plan=3` for strategy.plan)."""
    out = {q.id: level for q in maturity.QUESTIONS}
    out.update({k.replace("__", "."): v for k, v in levels.items()})
    return out


def requests_frame(code: str, channels: dict[str, int], day: date | None = None) -> pd.DataFrame:
    """`channels[c]` requests made through channel `c` (None: unknown) a month before `day`."""
    day = day or TODAY
    made = pd.Timestamp(datetime.combine(day - timedelta(days=30), datetime.min.time()))
    rows = []
    for channel, n in channels.items():
        for i in range(n):
            rows.append(
                {
                    "service_request_id": f"{code}-{channel}-{i}",
                    "status": "closed",
                    "category": "voirie",
                    "channel": channel,
                    "requested_datetime": made.tz_localize("Europe/Paris")
                    + pd.Timedelta(minutes=i),
                    "closed_datetime": made.tz_localize("Europe/Paris")
                    + pd.Timedelta(days=2 if i % 4 else 20),
                }
            )
    return pd.DataFrame(rows)


def login(client, tenant, role):
    user = UserFactory(username=f"{role}@{tenant.code}.fr")
    MembershipFactory(tenant=tenant, role=role, user=user)
    client.force_login(user)
    return user


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def shown(message) -> str:
    """A message as `text` shows it: escaped, spaces (no-break ones too) collapsed."""
    return re.sub(r"\s+", " ", escape(str(message)))


def url(name, tenant):
    return reverse(f"portfolio:{name}", args=[tenant.code])


# --- the questionnaire and its scores ---------------------------------------------------------


def test_questionnaire_has_six_dimensions_of_about_four_questions_with_four_levels():
    """Six dimensions as the issue names them, each with questions of four labelled levels."""
    assert [d.id for d in maturity.DIMENSIONS] == [
        "strategy",
        "organisation",
        "infrastructure",
        "data",
        "services",
        "inclusion",
    ]
    for dimension in maturity.DIMENSIONS:
        questions = maturity.questions_of(dimension.id)
        assert 3 <= len(questions) <= 5
        assert all(len(q.levels) == 4 and all(str(label) for label in q.levels) for q in questions)
    assert len({q.id for q in maturity.QUESTIONS}) == len(maturity.QUESTIONS)
    assert sum(q.indicator is not None for q in maturity.QUESTIONS) >= 8


def test_scores_are_the_mean_level_of_each_dimension_out_of_100(town):
    """A dimension scores its mean level ÷ 3 × 100; nothing measured, every answer counts."""
    given = answers(
        1,
        strategy__plan=3,
        strategy__steering=3,
        strategy__value=3,
        strategy__budget=3,
        organisation__lead=0,
        organisation__skills=1,
        organisation__change=2,
        organisation__pooling=3,
        infrastructure__security=0,
        infrastructure__backup=0,
        infrastructure__access=0,
        infrastructure__automation=1,
    )
    assessment = maturity.assess(town, given)
    assert assessment.scores == {
        "strategy": 100,
        "organisation": 50,
        "infrastructure": 8,
        "data": 33,
        "services": 33,
        "inclusion": 33,
    }
    assert assessment.answers == given  # nothing could be measured: all were asked
    assert all(entry["level"] is None for entry in assessment.measured.values())
    assert maturity.overall(assessment.scores) == round((100 + 50 + 8 + 33 * 3) / 6)


def test_an_unanswered_question_that_could_not_be_measured_is_refused(town):
    given = answers(2)
    del given["inclusion.mediation"]
    with pytest.raises(maturity.MaturityError):
        maturity.assess(town, given)
    assert not MaturityAssessment.objects.exists()


def test_recommendations_only_for_dimensions_under_50(town):
    """A strong dimension gets no advice; a weak one gets its questions under level 2, lowest
    first."""
    given = answers(
        2,
        organisation__lead=0,
        organisation__skills=1,
        organisation__change=1,
        organisation__pooling=2,
    )
    assessment = maturity.assess(town, given)
    assert assessment.scores["organisation"] == 33
    found = maturity.recommendations(assessment)
    assert [r.dimension.id for r in found] == ["organisation"]
    steps = [(q.id, level) for q, level in found[0].steps]
    assert steps[0] == ("organisation.lead", 0)
    assert {s[0] for s in steps} == {
        "organisation.lead",
        "organisation.skills",
        "organisation.change",
    }
    assessment.scores["organisation"] = 50
    assert maturity.recommendations(assessment) == []


# --- measured questions override the answers --------------------------------------------------


def test_online_share_is_measured_from_the_requests_and_overrides_the_answer(town):
    """web + app ÷ requests whose channel is known, over the 12 months: 80 ÷ 200 = 40 % →
    level 2, whatever was answered."""
    write_requests(
        town.code, requests_frame(town.code, {"web": 50, "mobile": 30, "phone": 100, "counter": 20})
    )
    assessment = maturity.assess(town, answers(0))
    entry = assessment.measured["services.online"]
    assert entry["level"] == 2 and entry["value"] == pytest.approx(0.4)
    assert entry["facts"]["online"] == 80 and entry["facts"]["known"] == 200
    assert "services.online" not in assessment.answers
    # services: online 2, procedures 0, on time measured too (3 of 4 within 10 days), feedback 0
    on_time = assessment.measured["services.on_time"]
    # one request in four (i % 4 == 0) took 20 days, past the default 10: 149 of 200 on time
    assert on_time["level"] == 1 and on_time["value"] == pytest.approx(149 / 200)
    assert assessment.scores["services"] == round(100 * (2 + 0 + 1 + 0) / 12)
    with translation.override("en"):
        said = measures.describe(entry, measures.ONLINE_SHARE)
    assert "40 %" in said and "200" in said


def test_requests_of_unknown_channel_are_left_out_of_the_share(town):
    write_requests(town.code, requests_frame(town.code, {"web": 60, "phone": 20, None: 120}))
    entry = maturity.measure_all(town)["services.online"]
    assert entry["level"] == 3 and entry["value"] == pytest.approx(0.75)
    assert entry["facts"]["unknown"] == 120


def test_too_few_requests_fall_back_to_the_answer_and_say_why(town):
    write_requests(town.code, requests_frame(town.code, {"web": 10, "phone": 5}))
    assessment = maturity.assess(town, answers(1, services__online=3))
    entry = assessment.measured["services.online"]
    assert entry["level"] is None and entry["reason"] == "too_few_requests"
    assert entry["params"] == {"count": 15, "minimum": measures.MIN_REQUESTS}
    assert assessment.answers["services.online"] == 3
    with translation.override("en"):
        assert "Only 15 citizen requests" in measures.reason_text(entry)


def test_online_share_at_a_past_date_reads_the_12_months_before_it(town):
    past = TODAY - timedelta(days=400)
    frame = pd.concat(
        [
            requests_frame(town.code, {"web": 60}, day=past),  # a year before: all online
            requests_frame(f"{town.code}-now", {"phone": 60}),  # now: none online
        ]
    )
    write_requests(town.code, frame)
    assert maturity.measure_all(town, past)["services.online"]["level"] == 3
    assert maturity.measure_all(town)["services.online"]["level"] == 0


def test_accessibility_statement_changes_the_level(town):
    """No statement of its own: asked. A statement: its compliance gives the level."""
    assert maturity.measure_all(town)["inclusion.statement"]["reason"] == "no_statement"
    statement = AccessibilityStatement.objects.create(
        tenant=town, entity_name="Cancale", compliance=AccessibilityStatement.Compliance.PARTIAL
    )
    assessment = maturity.assess(town, answers(0))
    assert assessment.measured["inclusion.statement"]["level"] == 2
    assert assessment.measured["inclusion.audit"]["level"] == 0  # no audit mentioned
    assert assessment.scores["inclusion"] == round(100 * 2 / 12)
    statement.compliance = AccessibilityStatement.Compliance.FULL
    statement.audit_rate = Decimal("80")
    statement.audit_date = TODAY - timedelta(days=100)
    statement.multi_year_plan_url = "https://cancale.example/schema-pluriannuel"
    statement.save()
    assessment = maturity.assess(town, answers(0))
    assert assessment.measured["inclusion.statement"]["level"] == 3
    assert assessment.measured["inclusion.audit"]["level"] == 3
    statement.audit_date = TODAY.replace(year=TODAY.year - 4)
    statement.save()
    assert maturity.measure_all(town)["inclusion.audit"]["level"] == 1  # too old


def test_present_state_sources_are_not_measured_for_a_past_date(town):
    AccessibilityStatement.objects.create(tenant=town, entity_name="Cancale", compliance="total")
    found = maturity.measure_all(town, TODAY - timedelta(days=30))
    assert found["inclusion.statement"] == {"level": None, "reason": "no_history", "params": {}}


def test_data_quality_uses_the_check_history_at_the_date(town):
    passing = Dataset.objects.create(tenant=town, name="requests", slug="requests", title="D")
    failing = Dataset.objects.create(tenant=town, name="parking", slug="parking", title="P")
    long_ago = timezone.now() - timedelta(days=200)
    for dataset, passed in ((passing, True), (failing, True)):
        QualityCheck.objects.create(dataset=dataset, name="row_count", passed=passed, at=long_ago)
    QualityCheck.objects.create(dataset=failing, name="unique_key", passed=False)
    now = maturity.measure_all(town)["data.quality"]
    assert now["level"] == 1 and now["facts"] == {"passing": 1, "checked": 2}
    then = maturity.measure_all(town, TODAY - timedelta(days=100))["data.quality"]
    assert then["level"] == 3 and then["facts"] == {"passing": 2, "checked": 2}
    before = maturity.measure_all(town, TODAY - timedelta(days=300))["data.quality"]
    assert before["reason"] == "no_quality_checks"


def test_open_data_and_ownership_come_from_the_catalog(town):
    found = maturity.measure_all(town)
    assert found["data.open"]["reason"] == "no_open_data"
    assert found["data.ownership"]["reason"] == "empty_catalog"
    for i in range(5):
        Dataset.objects.create(
            tenant=town,
            kind="publication",
            name=f"jeu-{i}",
            slug=f"jeu-{i}",
            title=f"Jeu {i}",
            sensitivity="public",
            open_data=True,
            quality_status=QualityStatus.PASSED if i < 3 else QualityStatus.FAILED,
            referent_name="Agent" if i < 2 else "",
        )
    found = maturity.measure_all(town)
    assert found["data.open"]["level"] == 2 and found["data.open"]["facts"] == {
        "open": 5,
        "valid": 3,
    }
    assert found["data.ownership"]["level"] == 1  # 2 of 5 have a referent


def test_automation_comes_from_the_sources(town):
    assert maturity.measure_all(town)["infrastructure.automation"]["reason"] == "no_sources"
    mapping = "table: requests\nfields:\n  service_request_id: id\n"
    Source.objects.create(tenant=town, name="a", kind="file", mapping=mapping)
    Source.objects.create(tenant=town, name="b", kind="file", mapping=mapping)
    assert maturity.measure_all(town)["infrastructure.automation"]["level"] == 0
    Source.objects.create(tenant=town, name="c", kind="file", mapping=mapping, config={"watch": 1})
    Source.objects.create(tenant=town, name="d", kind="api", mapping=mapping, schedule_minutes=60)
    entry = maturity.measure_all(town)["infrastructure.automation"]
    assert entry["level"] == 2 and entry["facts"] == {"automated": 2, "sources": 4}


def test_portfolio_measures_master_plan_value_and_change_management(town):
    found = maturity.measure_all(town)
    assert found["strategy.plan"]["reason"] == "no_master_plan"
    assert found["strategy.value"]["reason"] == "no_open_projects"
    assert found["organisation.change"]["reason"] == "no_running_projects"
    objective = PlanObjective.objects.create(tenant=town, plan="sdn", code="S1", title="Socle")
    running = Project.objects.create(
        tenant=town, number="P1", title="Portail", status="en_cours", value_marks={"a": "A"}
    )
    running.objectives.add(objective)
    Project.objects.create(tenant=town, number="P2", title="Borne", status="idee")
    ChangeAction.objects.create(project=running, kind="formation", title="Formation")
    found = maturity.measure_all(town)
    assert found["strategy.plan"]["level"] == 2  # one of two open projects serves it
    assert found["strategy.value"]["level"] == 2  # one of two analysed
    assert found["organisation.change"]["level"] == 3  # the only running project
    Project.objects.filter(number="P2").get().objectives.add(objective)
    assert maturity.measure_all(town)["strategy.plan"]["level"] == 3


# --- pages, exports, rights -------------------------------------------------------------------


def test_page_without_assessment_invites_to_make_one(client, town):
    login(client, town, Role.ANALYST)
    response = client.get(url("maturity", town))
    assert response.status_code == 200
    assert url("maturity-assess", town) in response.content.decode()


def test_form_shows_measured_questions_ticked_disabled_with_their_source(client, town):
    write_requests(town.code, requests_frame(town.code, {"web": 30, "phone": 70}))
    login(client, town, Role.ANALYST)
    body = text(client.get(url("maturity-assess", town)))
    radios = re.findall(r'<input type="radio" name="services\.online"[^>]*>', body)
    assert len(radios) == 4 and all("disabled" in r for r in radios)
    assert [("checked" in r) for r in radios] == [False, False, True, False]  # 30 % → 2
    mediation = re.findall(r'<input type="radio" name="inclusion\.mediation"[^>]*>', body)
    assert len(mediation) == 4 and not any("disabled" in r for r in mediation)
    assert body.count("<fieldset") == len(maturity.DIMENSIONS) + len(maturity.QUESTIONS)
    assert body.count("<legend>") >= len(maturity.QUESTIONS)


def test_posting_the_form_records_the_assessment_with_measured_values(client, town):
    write_requests(town.code, requests_frame(town.code, {"web": 30, "phone": 70}))
    user = login(client, town, Role.ANALYST)
    data = answers(1, services__online=0)  # a measured question: the posted value is ignored
    response = client.post(url("maturity-assess", town), {k: str(v) for k, v in data.items()})
    assert response.status_code == 302
    assessment = MaturityAssessment.objects.get(tenant=town)
    assert assessment.created_by == user and assessment.assessed_on == TODAY
    assert assessment.measured["services.online"]["level"] == 2
    assert "services.online" not in assessment.answers
    assert assessment.answers["inclusion.mediation"] == 1


def test_an_incomplete_form_is_sent_back_with_its_errors(client, town):
    login(client, town, Role.ANALYST)
    data = {k: str(v) for k, v in answers(2).items() if k != "data.protection"}
    response = client.post(url("maturity-assess", town), data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not MaturityAssessment.objects.exists()


@pytest.fixture
def assessed(town):
    """Two assessments a year apart; the latest has a weak infrastructure."""
    AccessibilityStatement.objects.create(tenant=town, entity_name="Cancale", compliance="partiel")
    first = maturity.assess(town, answers(1), on=TODAY - timedelta(days=365))
    latest = maturity.assess(town, answers(2, infrastructure__security=0, infrastructure__backup=0))
    return first, latest


def test_page_shows_radar_table_measures_recommendations_and_history(client, town, assessed):
    first, latest = assessed
    login(client, town, Role.ELECTED)
    response = client.get(url("maturity", town))
    body = text(response)
    assert response.status_code == 200
    assert body.count("<svg") == 1 and 'role="img"' in body
    assert "<caption>" in body and 'scope="row"' in body
    assert 'data-chart="maturity-history"' in body and 'id="maturity-history-spec"' in body
    for dimension in maturity.DIMENSIONS:
        assert f'<td class="num">{latest.scores[dimension.id]}</td>' in body
    # The weak dimension's advice, and none of the strong ones'.
    with translation.override("fr"):
        assert shown(maturity.DIMENSIONS[2].advice) in body
        assert shown(maturity.DIMENSIONS[0].advice) not in body
        assert shown(measures.STATEMENT.source) in body  # measured, with its source
    # Elected officials read but do not assess.
    assert url("maturity-assess", town) not in body
    assert client.get(url("maturity-assess", town)).status_code == 403


def test_pdf_holds_the_dimensions_and_the_tenant(client, town, assessed):
    login(client, town, Role.ELECTED)
    response = client.get(url("maturity-pdf", town))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    content = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Cancale" in content
    with translation.override("fr"):
        for dimension in maturity.DIMENSIONS:
            assert str(dimension.label) in content


def test_workbook_holds_scores_questions_recommendations_and_history(client, town, assessed):
    first, latest = assessed
    login(client, town, Role.ELECTED)
    response = client.get(url("maturity-xlsx", town))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4
    scores, questions, advice, history = (book[name] for name in book.sheetnames)
    rows = list(scores.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == [latest.scores[d.id] for d in maturity.DIMENSIONS]
    assert [r[2] for r in rows] == [first.scores[d.id] for d in maturity.DIMENSIONS]
    assert questions.max_row == 1 + len(maturity.QUESTIONS)
    levels = {r[1]: r[2] for r in questions.iter_rows(min_row=2, values_only=True)}
    with translation.override("fr"):
        assert levels[str(maturity.QUESTION_BY_ID["inclusion.statement"].text)] == 2
    assert {r[1] for r in advice.iter_rows(min_row=2, values_only=True)} == {
        latest.scores["infrastructure"]
    }
    dates = [r[0] for r in history.iter_rows(min_row=2, values_only=True)]
    assert [d.date() for d in dates] == [first.assessed_on, latest.assessed_on]


def test_exports_work_before_any_assessment(client, town):
    login(client, town, Role.ELECTED)
    assert client.get(url("maturity-pdf", town)).status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(client.get(url("maturity-xlsx", town)).content))
    assert book[book.sheetnames[0]].max_row == 1


def test_other_tenant_sees_nothing_of_the_assessment(client, town, assessed):
    """A user of another tenant gets 404 on every maturity page and export of this one."""
    other = TenantFactory(code="35288", name="Saint-Malo", population=47439)
    login(client, other, Role.ADMIN)
    for name in ("maturity", "maturity-assess", "maturity-pdf", "maturity-xlsx"):
        assert client.get(url(name, town)).status_code == 404, name
    body = text(client.get(url("maturity", other)))
    assert "Cancale" not in body and url("maturity-assess", other) in body  # nothing assessed


# --- in a real browser ------------------------------------------------------------------------


@pytest.fixture
def browsed(transactional_db, warehouse):
    """An administrator of Cancale with two assessments, a peer sharing anonymously with a
    note, and requests measured."""
    from pilotis.portfolio.models import ExperienceNote, Sharing
    from tests.shell.test_browser_a11y import PASSWORD

    town = TenantFactory(code="35049", name="Cancale", population=5672)
    peer = TenantFactory(code="35299", name="Saint-Méloir-des-Ondes", population=4720)
    Sharing.objects.create(tenant=peer, maturity=True, notes=True, indicators=["requests.volume"])
    write_requests(town.code, requests_frame(town.code, {"web": 40, "phone": 60}))
    maturity.assess(town, answers(1), on=TODAY - timedelta(days=365))
    maturity.assess(town, answers(2, infrastructure__security=0))
    maturity.assess(peer, answers(3))
    ExperienceNote.objects.create(tenant=peer, title="Portail famille", worked="Oui", cost=15000)
    user = UserFactory(username="admin@cancale.fr", password=PASSWORD)
    MembershipFactory(tenant=town, role=Role.ADMIN, user=user)
    return town


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_maturity_and_sharing_pages_draw_and_pass_axe(browser, live_server, browsed):
    """The history chart is drawn under the CSP; the page, the questionnaire and the sharing
    page (its forms opened) have no WCAG 2.1 AA violation."""
    import os

    from tests.parking.test_browser import _drawn_and_accessible
    from tests.shell.test_browser_a11y import _login

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    _login(page, live_server.url, "admin@cancale.fr")
    base = f"{live_server.url}/t/{browsed.code}/projets/"
    page.goto(base + "maturite/")
    _drawn_and_accessible(page, console, 1)
    assert page.locator("figure.radar svg[role=img]").count() == 1
    page.goto(base + "maturite/evaluer/")
    _drawn_and_accessible(page, console, 0)
    assert page.locator("input[name='services.online'][disabled]").count() == 4
    page.goto(base + "partage/")
    for summary in page.locator("details > summary").all():
        summary.click()
    _drawn_and_accessible(page, console, 0)
    assert "Méloir" not in page.content()
    context.close()
