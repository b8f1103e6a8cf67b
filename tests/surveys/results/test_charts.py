"""SVG charts: pure drawing, escaped labels, goal lines where the goals are."""

from fractions import Fraction
from xml.etree import ElementTree

from surveys.results import charts

NS = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ElementTree.fromstring(str(svg))


def test_stacked_bar_draws_each_option_with_its_count_and_escapes_labels():
    svg = charts.stacked_bar(
        [("满意", 60, "seg-satisfied"), ("基本满意", 30, "seg-basic"), ("<不满意>", 10, "seg-dissatisfied"), ("不了解", 0, "seg-unknown")],
        title="题目 & 票数",
    )
    root = parse(svg)  # well-formed despite "<" and "&" in the labels
    assert root.find(f"{NS}title").text == "题目 & 票数"
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [float(r.get("width")) for r in bars] == [384.0, 192.0, 64.0]  # 640 px split 6:3:1
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert {"60", "30", "10"} <= set(texts)
    assert "不了解 0" in texts  # the legend lists every option, even an empty one


def test_stacked_bar_without_answers_says_so():
    texts = [t.text for t in parse(charts.stacked_bar([("满意", 0, "seg-satisfied")], title="t")).iter(f"{NS}text")]
    assert "无有效票" in texts


def test_rate_bars_scale_from_zero_and_draw_goal_lines_and_intervals():
    svg = charts.rate_bars(
        [("甲区", Fraction(4, 5), (0.7, 0.87), "level-satisfied", ""), ("乙区", None, None, "level-no_data", "")],
        title="各单位", goals=[(Fraction(4, 5), "两年目标 80%"), (Fraction(9, 10), "五年目标 90%")],
    )
    root = parse(svg)
    label_w, plot_w = 170, 760 - 170 - 70
    bar = next(r for r in root.iter(f"{NS}rect") if r.get("class") == "bar level-satisfied")
    assert float(bar.get("x")) == label_w
    assert float(bar.get("width")) == round(plot_w * 0.8, 1)
    goals = [line for line in root.iter(f"{NS}line") if line.get("class") == "goal"]
    assert [float(g.get("x1")) for g in goals] == [round(label_w + plot_w * 0.8, 1), round(label_w + plot_w * 0.9, 1)]
    assert len([p for p in root.iter(f"{NS}path") if p.get("class") == "whisker"]) == 1
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "80.0%" in texts and "无数据" in texts and "两年目标 80%" in texts


def test_line_chart_draws_lines_bands_and_goals_and_skips_gaps():
    svg = charts.line_chart(
        ["2023", "2024", "2025"],
        [("选拔任用", "series-selection", [Fraction(3, 4), None, Fraction(17, 20)], [(0.7, 0.8), None, (0.8, 0.9)])],
        title="走势", goals=[(Fraction(4, 5), "两年目标 80%"), (Fraction(9, 10), "五年目标 90%")], y_min=0.5,
    )
    root = parse(svg)
    assert len(list(root.iter(f"{NS}circle"))) == 2  # no point for the round without data
    assert len([g for g in root.iter(f"{NS}line") if g.get("class") == "goal"]) == 2
    assert root.find(f"{NS}polygon") is not None
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "75.0%" in texts and "85.0%" in texts


def test_line_chart_counts_axis():
    root = parse(charts.line_chart(["2023"], [("达标", "series-goal0", [7], None)], title="t", y_max=10, percent=False))
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "7" in texts and "10" in texts and not any("%" in t for t in texts)


def test_long_english_legends_and_goal_labels_get_room():
    """Regression: in English the two legend entries overlapped and the goal labels were cut
    off at the chart's edge ("Five-year goal 9"), sized as they were for Chinese."""
    long_names = ["Satisfaction with cadre selection and appointment work",
                  "Satisfaction with preventing and correcting improper appointment practices"]
    goals = [(Fraction(4, 5), "Two-year goal 80%"), (Fraction(9, 10), "Five-year goal 90%")]
    width = 760
    root = parse(charts.line_chart(
        ["2024", "2025"], [(n, f"series-{i}", [Fraction(3, 4), Fraction(4, 5)], None) for i, n in enumerate(long_names)],
        title="trend", goals=goals, y_min=0.5, width=width,
    ))
    texts = {t.text: t for t in root.iter(f"{NS}text")}
    first, second = (texts[n] for n in long_names)
    assert float(first.get("y")) < float(second.get("y"))  # one entry a row: no overlap
    for _, label in goals:
        x = float(texts[label].get("x"))
        assert x + charts.text_width(label, 11) <= width  # the whole label inside the chart

    short = parse(charts.line_chart(
        ["2025"], [("选拔任用", "a", [Fraction(3, 4)], None), ("纠正", "b", [Fraction(4, 5)], None)],
        title="走势", goals=[(Fraction(4, 5), "两年目标 80%")], y_min=0.5,
    ))
    ys = {t.text: float(t.get("y")) for t in short.iter(f"{NS}text")}
    assert ys["选拔任用"] == ys["纠正"]  # short Chinese names still share a row


def test_crossing_lines_label_the_higher_point_above_and_the_lower_below():
    """The unit page's trend drew 79.4% and 86.3% into each other: the first series always
    labelled above and the second below, also where the second ran higher."""
    root = parse(charts.line_chart(
        ["2023", "2024", "2025"],
        [("选拔任用", "series-selection", [Fraction(837, 1000), Fraction(794, 1000), Fraction(954, 1000)], None),
         ("整治", "series-conduct", [Fraction(837, 1000), Fraction(863, 1000), Fraction(875, 1000)], None)],
        title="走势", y_min=0.5,
    ))
    dots = {c.find(f"{NS}title").text.split("：")[0]: float(c.get("cy")) for c in root.iter(f"{NS}circle")}
    labels = {}
    for t in root.iter(f"{NS}text"):
        if "value" in (t.get("class") or ""):
            series = "选拔任用" if "series-selection" in t.get("class") else "整治"
            labels.setdefault(series, []).append(float(t.get("y")))
    above = {name: [y < dots[f"{name} {year}"] for y, year in zip(ys, ["2023", "2024", "2025"])] for name, ys in labels.items()}
    assert above["选拔任用"] == [True, False, True]  # tie at 2023: the first series above
    assert above["整治"] == [False, True, False]
