"""Server-side SVG charts for the dashboards: no JavaScript, no CDN, they print as drawn.

Each function takes figures already computed (rates as Fractions or floats from
`surveys.scoring` via the dashboard selectors) and returns safe SVG markup. Charts only draw;
they never decide a level or compare a rate with a threshold. Colours come from CSS classes
(static/css/dashboards.css), so a chart and the badge beside it always agree, and every
chart carries a <title> and a <desc>; the tables next to the charts hold the same numbers
for screen readers and print.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from credibility.text import colon
from surveys import scoring

FONT = 13
LINE = 22


def _f(value):
    """Coordinates with one decimal: short markup, still crisp."""
    return f"{float(value):.1f}"


def _pct(value):
    # The tables' display rule: cut toward zero, so a label never reads above its line.
    return scoring.percent(value)


def _svg(width, height, title, body, css="chart"):
    return mark_safe(
        f'<svg class="{css}" role="img" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def text_width(text, size=FONT):
    """Roughly how wide `text` draws at `size`: a Chinese character is about one em, a Latin
    letter or digit about 0.6 em. Used to make room for labels in either language."""
    return sum(size if ord(ch) >= 0x2E80 else 0.6 * size for ch in str(text))


def _text(x, y, text, *, anchor="start", css="", size=FONT):
    cls = f' class="{css}"' if css else ""
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}"{cls}>'
        f"{escape(text)}</text>"
    )


def stacked_bar(segments, *, title, width=640, height=30):
    """One horizontal bar split into [(label, count, css)]; numbers written in each part.

    A part too narrow for its number leaves it out of the bar; the legend under the bar
    always has every label with its count.
    """
    total = sum(count for _, count, _ in segments)
    body = []
    if not total:
        body.append(f'<rect x="0" y="0" width="{width}" height="{height}" class="seg-empty"/>')
        body.append(_text(width / 2, height / 2 + 5, _("无有效票"), anchor="middle"))
    else:
        x = 0.0
        for label, count, css in segments:
            if not count:
                continue
            w = width * count / total
            body.append(
                f'<rect x="{_f(x)}" y="0" width="{_f(w)}" height="{height}" class="seg {css}">'
                f"<title>{escape(label)}{colon()}{count}</title></rect>"
            )
            text = str(count)
            if w >= 9 * len(text) + 6:
                body.append(_text(x + w / 2, height / 2 + 5, text, anchor="middle", css=f"on-{css}"))
            x += w
    legend_y = height + 20
    x = 0.0
    for label, count, css in segments:
        item = f"{label} {count}"
        body.append(f'<rect x="{_f(x)}" y="{legend_y - 10}" width="10" height="10" class="seg {css}"/>')
        body.append(_text(x + 14, legend_y, item, size=12))
        x += 14 + 13 * len(item) * 0.8 + 16
    return _svg(width, legend_y + 6, title, "".join(body), css="chart chart-stacked")


def level_bars(rows, *, title, width=520):
    """Horizontal bars of [(label, count, css)]: how many units sit in each class."""
    label_w, count_w = 150, 40
    top = 6
    most = max((count for _, count, _ in rows), default=0) or 1
    bar_room = width - label_w - count_w
    body = []
    for index, (label, count, css) in enumerate(rows):
        y = top + index * (LINE + 8)
        w = bar_room * count / most
        body.append(_text(label_w - 8, y + LINE / 2 + 5, label, anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y}" width="{_f(w)}" height="{LINE}" class="bar {css}"/>')
        body.append(_text(label_w + w + 6, y + LINE / 2 + 5, str(count)))
    height = top + len(rows) * (LINE + 8)
    return _svg(width, height, title, "".join(body), css="chart chart-levels")


def rate_bars(rows, *, title, goals=(), width=760):
    """Positive rate per unit as bars from 0 to 100%, with the 95% interval and goal lines.

    rows: [(label, rate or None, (low, high) or None, css, note)]; goals: [(rate, label)].
    The axis starts at zero so bar lengths compare honestly.
    """
    label_w, right = 170, 70
    top, row_h = 24, 18
    plot_w = width - label_w - right
    height = top + max(len(rows), 1) * row_h + 26

    def x(v):
        return label_w + plot_w * float(v)

    body = []
    for tick in range(0, 101, 10):
        xt = x(tick / 100)
        body.append(f'<line x1="{_f(xt)}" y1="{top - 4}" x2="{_f(xt)}" y2="{height - 22}" class="grid"/>')
        body.append(_text(xt, height - 8, f"{tick}%", anchor="middle", size=11))
    for index, (label, value, interval, css, note) in enumerate(rows):
        y = top + index * row_h
        body.append(_text(label_w - 6, y + row_h - 5, label + (f" {note}" if note else ""), anchor="end", size=12))
        if value is None:
            body.append(_text(label_w + 4, y + row_h - 5, _("无数据"), size=11))
            continue
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{_f(plot_w * float(value))}" height="{row_h - 6}" '
            f'class="bar {css}"><title>{escape(label)}{colon()}{_pct(value)}</title></rect>'
        )
        if interval:
            lo, hi = x(interval[0]), x(interval[1])
            mid = y + row_h / 2
            body.append(
                f'<path d="M{_f(lo)} {_f(mid)}H{_f(hi)}M{_f(lo)} {_f(mid - 4)}V{_f(mid + 4)}'
                f'M{_f(hi)} {_f(mid - 4)}V{_f(mid + 4)}" class="whisker"/>'
            )
        body.append(_text(width - right + 6, y + row_h - 5, _pct(value), size=11))
    for index, (goal, label) in enumerate(goals):
        xg = x(goal)
        body.append(f'<line x1="{_f(xg)}" y1="{top - 8}" x2="{_f(xg)}" y2="{height - 22}" class="goal"/>')
        # Neighbouring goals (80%, 90%) sit close: the first label reads leftwards, the rest right.
        anchor, dx = ("end", -3) if index == 0 and len(goals) > 1 else ("start", 3)
        body.append(_text(xg + dx, top - 11, label, anchor=anchor, css="goal-label", size=11))
    return _svg(width, height, title, "".join(body), css="chart chart-rates")


def line_chart(labels, series, *, title, goals=(), y_min=0.0, y_max=1.0, percent=True, width=760, height=300):
    """Lines over rounds: series [(name, css, [value or None], [(low, high) or None])].

    An interval band is drawn under a line when its intervals are given; goals are
    horizontal dashed lines [(value, label)]. Percent axes tick every 10%; count axes every
    whole step that gives at most five steps.
    """
    if percent:
        steps = max(1, round((float(y_max) - float(y_min)) * 10))
    else:
        step = max(1, -(-int(y_max) // 5))
        steps = max(1, -(-int(y_max) // step))
        y_max = step * steps
    # Room for the goal labels right of the plot, and two legend entries a row when they fit.
    right = max(110, max((text_width(label, 11) + 12 for _, label in goals), default=0))
    left = 56
    per_row = 2 if all(24 + text_width(name, 12) + 16 <= (width - left - right) / 2 for name, *_ in series) else 1
    legend_h = 22 * (-(-len(series) // per_row))
    top, bottom = 20, 34 + legend_h
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (float(y_max) - float(y_min)) or 1
    n = len(labels)

    def x(i):
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def y(v):
        return top + plot_h * (1 - (float(v) - float(y_min)) / span)

    def fmt(v):
        return _pct(v) if percent else f"{v:g}"

    body = []
    for k in range(steps + 1):
        v = float(y_min) + span * k / steps
        body.append(f'<line x1="{left}" y1="{_f(y(v))}" x2="{left + plot_w}" y2="{_f(y(v))}" class="grid"/>')
        body.append(_text(left - 6, y(v) + 4, f"{v * 100:.0f}%" if percent else f"{v:.0f}", anchor="end", size=11))
    for i, label in enumerate(labels):
        body.append(_text(x(i), top + plot_h + 18, label, anchor="middle", size=12))
    for goal, label in goals:
        if float(y_min) <= float(goal) <= float(y_max):
            body.append(f'<line x1="{left}" y1="{_f(y(goal))}" x2="{left + plot_w}" y2="{_f(y(goal))}" class="goal"/>')
            body.append(_text(left + plot_w + 6, y(goal) + 4, label, css="goal-label", size=11))
    # At each round the higher point labels itself above and the others below, so two lines
    # that cross never write their labels into each other (a tie: the first series above).
    highest = {}
    for i in range(n):
        present = [(values[i], -s) for s, (_, _, values, _) in enumerate(series) if i < len(values) and values[i] is not None]
        if present:
            highest[i] = -max(present)[1]
    for s_index, (name, css, values, intervals) in enumerate(series):
        if intervals:
            spans = [(i, iv) for i, iv in enumerate(intervals) if iv]
            if spans:
                upper = " ".join(f"{_f(x(i))},{_f(y(iv[1]))}" for i, iv in spans)
                lower = " ".join(f"{_f(x(i))},{_f(y(iv[0]))}" for i, iv in reversed(spans))
                body.append(f'<polygon points="{upper} {lower}" class="band {css}"/>')
        points = [(i, v) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{_f(x(i))},{_f(y(v))}" for i, v in points)
            body.append(f'<polyline points="{path}" class="line {css}"/>')
        for i, v in points:
            body.append(
                f'<circle cx="{_f(x(i))}" cy="{_f(y(v))}" r="4" class="dot {css}">'
                f"<title>{escape(name)} {escape(labels[i])}{colon()}{fmt(v)}</title></circle>"
            )
            offset = -9 if highest[i] == s_index or y(v) + 17 > top + plot_h else 17
            body.append(_text(x(i) + 8, y(v) + offset, fmt(v), anchor="start", size=11, css=f"value {css}"))
        lx = left + (s_index % per_row) * plot_w / 2
        ly = top + plot_h + 40 + (s_index // per_row) * 22
        body.append(f'<rect x="{_f(lx)}" y="{_f(ly - 6)}" width="18" height="4" class="legend {css}"/>')
        body.append(_text(lx + 24, ly, name, size=12))
    return _svg(width, height, title, "".join(body), css="chart chart-lines")
