"""Questionnaires and measures as data files: the schema and the checks it cannot make, the
shipped instruments, and loading (idempotent, refused on changed content, new versions retire
old ones, all or nothing, audited)."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command
from jsonschema import Draft202012Validator

from conftest import World
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.support.constants import InstrumentKind, Pathway
from desist.support.instruments import (
    SCHEMA_PATH,
    SHIPPED_DIR,
    InstrumentFileError,
    definition_sha256,
    instrument_load,
    instruments_load_files,
    load_shipped,
    problems_in,
    read_file,
)
from desist.support.models import Instrument
from desist.support.tests.factories_assessments import OWN_MEASURE, OWN_QUESTIONNAIRE, write_file

pytestmark = pytest.mark.django_db

ONS4_QUESTIONS = [
    "Overall, how satisfied are you with your life nowadays?",
    "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
    "Overall, how happy did you feel yesterday?",
    'On a scale where 0 is "not at all anxious" and 10 is "completely anxious", overall, how '
    "anxious did you feel yesterday?",
]


def _load(*paths: Path, **options: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("instruments", "load", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _refused(*paths: Path) -> str:
    """Load expecting refusal; the problems printed."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("instruments", "load", *map(str, paths), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def _needs(**changes: Any) -> dict[str, Any]:
    definition: dict[str, Any] = yaml.safe_load(OWN_QUESTIONNAIRE)
    definition.update(changes)
    return definition


# The shipped instruments ----------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_migration_has_loaded_the_shipped_files_unchanged() -> None:
    for name, key in (("needs-assessment-v1.yaml", "needs-assessment"), ("ons4-v1.yaml", "ons4")):
        definition = read_file(SHIPPED_DIR / name)
        assert problems_in(definition, source=name) == []
        stored = Instrument.objects.get(key=key, version=1)
        assert stored.active
        assert stored.sha256 == definition_sha256(definition)
        assert definition_sha256(stored.definition) == stored.sha256


def test_the_needs_assessment_covers_every_pathway_with_questions() -> None:
    needs = Instrument.objects.get(key="needs-assessment", version=1)
    assert needs.kind == InstrumentKind.NEEDS_ASSESSMENT
    pathways = needs.definition["pathways"]
    assert [p["pathway"] for p in pathways] == list(Pathway.values)
    assert all(len(p["questions"]) >= 3 for p in pathways)


def test_ons4_asks_the_four_questions_as_ons_words_them_on_a_0_to_10_scale() -> None:
    ons4 = Instrument.objects.get(key="ons4", version=1)
    items = ons4.definition["items"]
    assert [item["text"] for item in items] == ONS4_QUESTIONS
    assert all((item["min"], item["max"]) == (0, 10) for item in items)
    assert [item["better"] for item in items] == ["higher", "higher", "higher", "lower"]
    assert "Office for National Statistics" in ons4.credit
    assert "Open Government Licence v3.0" in ons4.credit


def test_running_the_data_migration_again_changes_nothing() -> None:
    migration = importlib.import_module("desist.support.migrations.0002_load_shipped_instruments")
    before = list(Instrument.objects.values_list("pk", "sha256", "active"))
    migration.load(apps, None)
    load_shipped(Instrument)
    assert list(Instrument.objects.values_list("pk", "sha256", "active")) == before


# Bad files, each problem named by file and entry ----------------------------------------------


def _slider() -> dict[str, Any]:
    definition = _needs(pathways=[])
    for code in ("accommodation", "drugs_alcohol", "mental_health"):
        definition["pathways"].append({"pathway": code})
    definition["pathways"].append(
        {"pathway": "finance", "questions": [{"key": "x", "text": "How?", "type": "slider"}]}
    )
    return definition


def _question(**question: Any) -> dict[str, Any]:
    base = {"key": "settled", "text": "Settled?", "type": "yes_no"}
    return _needs(pathways=[{"pathway": "accommodation", "questions": [base | question]}])


def _item(**item: Any) -> dict[str, Any]:
    definition: dict[str, Any] = yaml.safe_load(OWN_MEASURE)
    definition["items"][0].update(item)
    return definition


BAD = [
    pytest.param(
        _slider(),
        "needs-v2.yaml: pathways[3].questions[0].type: 'slider' is not one of "
        "['choice', 'text', 'yes_no']",
        id="unknown question type",
    ),
    pytest.param(
        _needs(pathways=[{"pathway": "housing"}]),
        "needs-v2.yaml: pathways[0].pathway: 'housing' is not a pathway code; use one of",
        id="unknown pathway code",
    ),
    pytest.param(
        _needs(pathways=[{"pathway": "finance"}, {"pathway": "finance"}]),
        "needs-v2.yaml: pathways[1]: pathway 'finance' is used more than once (also at "
        "pathways[0])",
        id="pathway twice",
    ),
    pytest.param(
        _needs(
            pathways=[
                {
                    "pathway": "finance",
                    "questions": [
                        {"key": "debt", "text": "Debts?", "type": "yes_no"},
                        {"key": "debt", "text": "Debts again?", "type": "text"},
                    ],
                }
            ]
        ),
        "needs-v2.yaml: pathways[0].questions[1]: question key 'debt' is used more than once "
        "(also at pathways[0].questions[0])",
        id="question key twice",
    ),
    pytest.param(
        _question(type="choice"),
        "needs-v2.yaml: pathways[0].questions[0]: 'options' is a required property",
        id="choice without options",
    ),
    pytest.param(
        _question(options=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]),
        "needs-v2.yaml: pathways[0].questions[0].options: 'options' is only for questions of "
        "type 'choice'",
        id="options on a yes/no question",
    ),
    pytest.param(
        _question(
            type="choice", options=[{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]
        ),
        "needs-v2.yaml: pathways[0].questions[0].options[1]: option value 'a' is used more than "
        "once (also at pathways[0].questions[0].options[0])",
        id="option value twice",
    ),
    pytest.param(
        _question(type="choice", options=[{"value": "a", "label": False}, {"value": "b"}]),
        "needs-v2.yaml: pathways[0].questions[0].options[0].label: False is not of type 'string'",
        id="unquoted No read by YAML as false",
    ),
    pytest.param(
        _question(key="Settled Now"),
        "needs-v2.yaml: pathways[0].questions[0].key: 'Settled Now' is not a valid key",
        id="bad question key",
    ),
    pytest.param(
        {k: v for k, v in _needs().items() if k != "title"},
        "needs-v2.yaml: 'title' is a required property",
        id="no title",
    ),
    pytest.param(
        _needs(version=0),
        "needs-v2.yaml: version: 0 is less than the minimum of 1",
        id="version 0",
    ),
    pytest.param(
        _needs(pathways=[{"pathway": "finance", "qestions": []}]),
        "needs-v2.yaml: pathways[0]: Additional properties are not allowed ('qestions' was "
        "unexpected)",
        id="misspelt property",
    ),
    pytest.param(
        _needs(items=[]),
        "needs-v2.yaml: items: 'items' belongs in a measure; a needs_assessment has 'pathways'",
        id="items in a needs assessment",
    ),
    pytest.param(
        _item(min=10, max=0),
        "needs-v2.yaml: items[0].max: max (0) must be more than min (10)",
        id="min not below max",
    ),
    pytest.param(
        _item(anchors=[{"value": 1, "label": "Low"}, {"value": 11, "label": "High"}]),
        "needs-v2.yaml: items[0].anchors[1].value: 11 is outside the item's range, 1 to 5",
        id="anchor out of range",
    ),
    pytest.param(
        _item(better="up"),
        "needs-v2.yaml: items[0].better: 'up' is not one of ['higher', 'lower']",
        id="better neither higher nor lower",
    ),
]


@pytest.mark.parametrize(("definition", "message"), BAD)
def test_a_bad_definition_is_refused_naming_the_file_and_the_entry(
    definition: dict[str, Any], message: str
) -> None:
    problems = problems_in(definition, source="needs-v2.yaml")
    assert any(problem.startswith(message) for problem in problems), problems


@pytest.mark.parametrize(("definition", "message"), BAD[:3])
def test_the_command_prints_each_problem_and_loads_nothing(
    tmp_path: Path, definition: dict[str, Any], message: str
) -> None:
    path = write_file(tmp_path, "needs-v2.yaml", yaml.safe_dump(definition))
    before = Instrument.objects.count()
    assert message in _refused(path)
    assert Instrument.objects.count() == before


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write_file(tmp_path, "broken.yaml", "kind: measure\nkey: [unclosed\ntitle: x\n")
    assert "broken.yaml: line 3: not valid YAML" in _refused(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    assert "absent.yaml: no such file" in _refused(tmp_path / "absent.yaml")


def test_every_problem_in_every_file_is_reported_together(tmp_path: Path) -> None:
    first = write_file(tmp_path, "a.yaml", yaml.safe_dump(_needs(pathways=[{"pathway": "x"}])))
    second = write_file(tmp_path, "b.yaml", yaml.safe_dump(_item(min=3, max=3)))
    printed = _refused(first, second)
    assert "a.yaml: pathways[0].pathway: 'x' is not a pathway code" in printed
    assert "b.yaml: items[0].max: max (3) must be more than min (3)" in printed


# Loading ---------------------------------------------------------------------------------------


def test_a_programme_loads_its_own_questionnaire_without_code(tmp_path: Path, world: World) -> None:
    path = write_file(tmp_path, "own.yaml", OWN_QUESTIONNAIRE)
    out, _ = _load(path, actor="pm")
    assert "own.yaml: loaded own-questionnaire version 1 (Our own questionnaire)." in out
    instrument = Instrument.objects.get(key="own-questionnaire")
    assert (instrument.kind, instrument.version, instrument.active) == (
        InstrumentKind.NEEDS_ASSESSMENT,
        1,
        True,
    )
    assert instrument.sha256 == definition_sha256(yaml.safe_load(OWN_QUESTIONNAIRE))
    event = AuditEvent.objects.get(entity="support.instrument", action=Action.CREATE)
    assert event.actor_id == world.personas["programme_manager"].pk
    assert event.changes["key"] == [None, "own-questionnaire"]
    assert event.changes["source"] == [None, "own.yaml"]


def test_loading_without_an_actor_is_audited_as_the_system(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "m.yaml", OWN_MEASURE))
    event = AuditEvent.objects.get(entity="support.instrument", action=Action.CREATE)
    assert (event.actor_id, event.actor_label) == (None, "system")


def test_loading_the_same_file_again_changes_nothing(tmp_path: Path) -> None:
    path = write_file(tmp_path, "own.yaml", OWN_QUESTIONNAIRE)
    _load(path)
    events = AuditEvent.objects.count()
    out, _ = _load(path)
    assert "already loaded, unchanged" in out
    assert Instrument.objects.filter(key="own-questionnaire").count() == 1
    assert AuditEvent.objects.count() == events


def test_the_same_content_laid_out_differently_is_the_same_version(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "own.yaml", OWN_QUESTIONNAIRE))
    as_json = json.dumps(yaml.safe_load(OWN_QUESTIONNAIRE), indent=4)
    out, _ = _load(write_file(tmp_path, "own.json", as_json))
    assert "unchanged" in out


def test_changed_content_under_a_loaded_version_is_refused(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "own.yaml", OWN_QUESTIONNAIRE))
    changed = OWN_QUESTIONNAIRE.replace("Settled for three months?", "Settled for six months?")
    path = write_file(tmp_path, "own-changed.yaml", changed)
    printed = _refused(path)
    assert (
        "own-changed.yaml: own-questionnaire version 1 is already loaded with different "
        "content" in printed
    )
    assert "(version: 2)" in printed
    stored = Instrument.objects.get(key="own-questionnaire")
    assert "Settled for three months?" in json.dumps(stored.definition)


def test_a_new_version_retires_the_old_one_for_new_records(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "v1.yaml", OWN_QUESTIONNAIRE))
    v2 = OWN_QUESTIONNAIRE.replace("version: 1", "version: 2").replace("three", "six")
    out, _ = _load(write_file(tmp_path, "v2.yaml", v2))
    assert "own-questionnaire version 1 is no longer offered for new records" in out
    versions = dict(
        Instrument.objects.filter(key="own-questionnaire").values_list("version", "active")
    )
    assert versions == {1: False, 2: True}
    retired = AuditEvent.objects.get(entity="support.instrument", action=Action.UPDATE)
    assert retired.changes == {"active": [True, False], "replaced_by_version": [None, 2]}


def test_older_versions_can_be_kept_in_use(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "v1.yaml", OWN_QUESTIONNAIRE))
    v2 = OWN_QUESTIONNAIRE.replace("version: 1", "version: 2")
    _load(write_file(tmp_path, "v2.yaml", v2), keep_older_active=True)
    assert set(
        Instrument.objects.filter(key="own-questionnaire").values_list("active", flat=True)
    ) == {True}


def test_loading_an_older_version_after_a_newer_one_leaves_it_retired() -> None:
    v2 = yaml.safe_load(OWN_QUESTIONNAIRE) | {"version": 2}
    instrument_load(definition=v2, actor=None, source="v2.yaml")
    result = instrument_load(
        definition=yaml.safe_load(OWN_QUESTIONNAIRE), actor=None, source="v1.yaml"
    )
    assert result.created and not result.instrument.active
    assert Instrument.objects.get(key="own-questionnaire", version=2).active


def test_a_new_version_cannot_change_the_kind_of_instrument(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "m.yaml", OWN_MEASURE))
    as_needs = OWN_QUESTIONNAIRE.replace("own-questionnaire", "own-measure").replace(
        "version: 1", "version: 2"
    )
    printed = _refused(write_file(tmp_path, "n.yaml", as_needs))
    assert "n.yaml: kind: own-measure is a measure (version 1)" in printed


def test_several_files_load_all_or_nothing(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "own.yaml", OWN_QUESTIONNAIRE))
    good = write_file(tmp_path, "a-measure.yaml", OWN_MEASURE)
    clash = write_file(
        tmp_path, "b-clash.yaml", OWN_QUESTIONNAIRE.replace("Settled", "Housed")
    )  # passes the checks, refused when stored, after the measure
    with pytest.raises(InstrumentFileError, match=r"b-clash\.yaml"):
        instruments_load_files(paths=[good, clash], actor=None)
    assert not Instrument.objects.filter(key="own-measure").exists()


def test_a_directory_loads_every_instrument_file_in_it(tmp_path: Path) -> None:
    write_file(tmp_path, "own.yaml", OWN_QUESTIONNAIRE)
    write_file(tmp_path, "measure.yml", OWN_MEASURE)
    write_file(tmp_path, "README.txt", "not an instrument")
    results = instruments_load_files(paths=[tmp_path], actor=None)
    assert sorted(r.instrument.key for r in results) == ["own-measure", "own-questionnaire"]


def test_the_shipped_directory_loads_as_already_loaded() -> None:
    results = instruments_load_files(paths=[SHIPPED_DIR], actor=None)
    assert {r.instrument.key for r in results} == {"needs-assessment", "ons4"}
    assert not any(r.created for r in results)


def test_an_unknown_actor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match='No active user with username "nobody-here"'):
        _load(write_file(tmp_path, "m.yaml", OWN_MEASURE), actor="nobody-here")


def test_list_shows_every_version_and_whether_it_is_in_use(tmp_path: Path) -> None:
    _load(write_file(tmp_path, "v1.yaml", OWN_MEASURE))
    _load(write_file(tmp_path, "v2.yaml", OWN_MEASURE.replace("version: 1", "version: 2")))
    out = io.StringIO()
    call_command("instruments", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert any("own-measure" in line and "v2" in line and "in use" in line for line in lines)
    assert any("own-measure" in line and "v1" in line and "retired" in line for line in lines)
    assert any("ons4" in line and "ONS personal well-being" in line for line in lines)
