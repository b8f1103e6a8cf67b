"""The raw ballot export: anonymized, chunked, the same rows in .xlsx and .csv."""

import csv
import io

import openpyxl
import pytest

from surveys.models import Channel
from surveys.reports import raw_export
from surveys.reports.raw_export import BallotRows, iter_ballots_csv, write_ballots_xlsx
from tests import factories
from tests.sheets.printing import assert_prints_readably

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return factories.reported_city()


def rows_for(data, groups=None, **kw):
    r = data["round"]
    round_units = [
        ru for ru in r.round_units.select_related("unit")
        if groups is None or ru.unit.group in groups
    ]
    return BallotRows(r, round_units, **kw)


def read_xlsx(rows):
    out = io.BytesIO()
    count = write_ballots_xlsx(rows, out)
    out.seek(0)
    wb = openpyxl.load_workbook(out)
    return count, wb


def test_one_row_per_ballot_without_anything_that_identifies_it(data):
    count, wb = read_xlsx(rows_for(data))
    ws = wb["原始票"]
    values = list(ws.iter_rows(values_only=True))
    headers = values[0]
    assert headers[:5] == ("单位代码", "单位名称", "参评人员类别", "渠道", "日期")
    assert headers[-1] == "意见建议"
    assert not any("编号" in h or "ID" in h.upper() or "测评码" in h for h in headers)
    assert count == len(values) - 1 == sum(ru.ballots for ru in data["round"].round_units.all())
    item_columns = len(headers) - 6
    assert item_columns == data["round"].items.rated().count()
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(headers)).column_letter}{count + 1}"
    # Too wide for one page at 70%: flows over landscape pages with the unit repeated.
    assert ws.freeze_panes == "C2" and ws.print_title_cols == "$A:$B"
    assert_prints_readably(ws, key_columns=2)


def test_answers_are_option_labels_and_blanks_stay_blank(data):
    _, wb = read_xlsx(rows_for(data))
    values = list(wb["原始票"].iter_rows(values_only=True))
    main2 = [row for row in values[1:] if row[1] == "主城2区"]
    assert sorted(row[5] for row in main2) == sorted(["满意"] * 5 + ["基本满意"] * 3 + ["不满意"] * 2 + ["不了解"])
    assert all(row[7] is None for row in main2)  # sub-indicators were left blank
    assert {row[3] for row in values[1:]} == {"纸质", "网上"}


def test_opinions_are_neutralized_in_both_formats(data):
    rows = rows_for(data)
    _, wb = read_xlsx(rows)
    xlsx = [row[-1] for row in wb["原始票"].iter_rows(min_row=2, values_only=True) if row[-1]]
    csv_rows = rows_for(data)
    text = "".join(iter_ballots_csv(csv_rows))
    assert text.startswith("\ufeff单位代码")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    from_csv = [row[-1] for row in parsed[1:] if row[-1]]
    # The .xlsx keeps the text as written, as text; the CSV, which has no cell types, puts a
    # quote in front of what a spreadsheet would run.
    assert '=HYPERLINK("http://x","点我")' in xlsx and "@SUM(A1)" in xlsx
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in from_csv and "'@SUM(A1)" in from_csv
    assert sorted(xlsx) == sorted(t[1:] if t.startswith("'") else t for t in from_csv)
    ws = wb["原始票"]
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row if c.value is not None
               and isinstance(c.value, str))
    assert len(parsed) - 1 == csv_rows.written


def test_csv_and_xlsx_hold_the_same_rows(data):
    _, wb = read_xlsx(rows_for(data))
    from_xlsx = [
        [v.date().isoformat() if hasattr(v, "date") else ("" if v is None else str(v)) for v in row]
        for row in wb["原始票"].iter_rows(values_only=True)
    ]
    text = "".join(iter_ballots_csv(rows_for(data)))
    from_csv = [[v[1:] if v.startswith(("'=", "'+", "'-", "'@")) else v for v in row]
                for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    assert from_xlsx == from_csv


def test_one_query_reads_every_ballot_with_its_answers(data, django_assert_max_num_queries):
    rows = rows_for(data, chunk_size=10)
    total = sum(ru.ballots for ru in data["round"].round_units.all())
    # Items, categories and the suppression pattern up front, then one query through a
    # cursor (its fetches in chunks of 10 are one statement on SQLite; on PostgreSQL a
    # named cursor), whatever the number of ballots.
    with django_assert_max_num_queries(6):
        assert sum(1 for _ in rows) == total


def test_rows_are_in_the_order_of_what_they_show_never_of_arrival(data):
    """Inside a unit, rows sort by category as shown (其他 for merged ones), channel, day,
    answers and opinion: the order carries nothing the row does not."""
    ru = data["round_units"]["主城1区"]
    factories.ballots(ru, [3, 1, 2], channel=Channel.ONLINE)  # arrive in another order
    rows = [row for row in rows_for(data) if row[1] in ("主城1区", "远郊1区")]
    options = {o.label: o.value for o in data["round"].scale_def.options}

    def shown(row):
        return (row[2], row[3], row[4], *(options.get(v, 0) for v in row[5:-1]), row[-1] or "")

    for unit in ("主城1区", "远郊1区"):
        mine = [row for row in rows if row[1] == unit]
        assert mine == sorted(mine, key=shown)


def test_rows_are_in_an_order_that_says_nothing(data):
    """Unit by unit, then by content: the same ballots counted in the opposite order (ids
    reversed) export row for row the same, so the rows' order says nothing of the ids'."""
    from surveys.models import Answer, Ballot

    first = list(rows_for(data))
    assert [row[1] for row in first] == sorted(
        (row[1] for row in first), key=[ru.unit.name for ru in rows_for(data).round_units.values()].index
    )
    for ru in data["round"].round_units.all():
        stored = list(Ballot.objects.filter(round_unit=ru).order_by("-pk").values_list(
            "pk", "category_id", "channel", "cast_on", "opinion"))
        answers = {pk: list(Answer.objects.filter(ballot_id=pk).values_list("item_id", "option")) for pk, *_ in stored}
        Ballot.objects.filter(round_unit=ru).delete()
        for pk, category, channel, day, opinion in stored:
            ballot = Ballot.objects.create(round_unit=ru, category_id=category, channel=channel,
                                           cast_on=day, opinion=opinion)
            Answer.objects.bulk_create([Answer(ballot=ballot, item_id=i, option=o) for i, o in answers[pk]])
    assert list(rows_for(data)) == first


def test_a_limited_scope_exports_only_its_units(data):
    main = data["groups"][0]
    _, wb = read_xlsx(rows_for(data, groups=[main]))
    names = {row[1] for row in wb["原始票"].iter_rows(min_row=2, values_only=True)}
    assert names == {"主城1区", "主城2区", "主城3区"}


def test_rows_beyond_a_sheet_continue_on_the_next(data, monkeypatch):
    monkeypatch.setattr(raw_export, "EXCEL_MAX_ROWS", 11)  # 10 ballots per sheet
    count, wb = read_xlsx(rows_for(data))
    assert wb.sheetnames[:2] == ["原始票", "原始票（续1）"]
    assert sum(ws.max_row - 1 for ws in wb.worksheets) == count


def test_online_channel_label(data):
    ru = data["round_units"]["市部门1"]
    factories.ballots(ru, [2], channel=Channel.ONLINE)
    _, wb = read_xlsx(rows_for(data))
    assert ("网上", "基本满意") in {(row[3], row[5]) for row in wb["原始票"].iter_rows(min_row=2, values_only=True) if row[1] == "市部门1"}


def test_categories_merged_in_the_breakdowns_read_other_here_too(data):
    # 远郊1区: 7 领导干部 and 3 党代表, merged together on every page and sheet. Counting the
    # rows per category must not give the 3 back.
    from surveys.breakdowns import OTHER_LABEL

    _, wb = read_xlsx(rows_for(data))
    far = [row[2] for row in wb["原始票"].iter_rows(min_row=2, values_only=True) if row[1] == "远郊1区"]
    assert far == [OTHER_LABEL] * 10
    main = {row[2] for row in wb["原始票"].iter_rows(min_row=2, values_only=True) if row[1] == "主城1区"}
    assert main == {"群众"}
