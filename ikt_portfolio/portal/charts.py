"""Server-rendered line charts: scales series of numbers into SVG coordinates for
`templates/ikt_portal/_line_chart.html` (an inline SVG with role="img", <title> and <desc>, followed by the same
numbers in a table). Pure Python, no JavaScript.

Series are told apart by line style *and* markers and a legend, never by colour alone: "planned" is a dashed line
with hollow squares, "actual" a solid line with filled circles. A missing value (None) breaks the line; a lone
value between gaps is still shown by its marker. Coordinates are strings with a dot as decimal separator (the
template must not localise them); axis labels and table cells use the active language's number format (bokmål:
"1 234,5").
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.formats import number_format

STYLES = {
    # stroke colour (contrast ≥ 3:1 on white), dash pattern, marker
    "planned": {"stroke": "#4b5563", "dash": "6 4", "marker": "square"},
    "actual": {"stroke": "#1d4ed8", "dash": "", "marker": "circle"},
}
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass
class Series:
    key: str
    label: str
    values: list  # Decimal | int | None, one per x label
    style: str = "actual"  # "planned" or "actual"


@dataclass
class Marker:
    x: str
    y: str
    text: str


@dataclass
class Line:
    key: str
    label: str
    stroke: str
    dash: str
    marker: str
    legend_x: str = "0"
    segments: list[str] = field(default_factory=list)  # "x,y x,y …" for each unbroken run
    markers: list[Marker] = field(default_factory=list)


@dataclass
class Tick:
    position: str
    label: str


@dataclass
class Row:
    label: str
    cells: list[str]


@dataclass
class Chart:
    id: str
    title: str
    description: str
    x_heading: str
    unit: str
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    lines: list[Line]
    rows: list[Row]
    caption: str = ""  # shown above the chart; the title when empty

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def empty(self) -> bool:
        return not any(line.markers for line in self.lines)


def fmt_number(value, decimals: int = 0) -> str:
    """The active language's number format with grouping ("1 234 567,50" in bokmål)."""
    if value is None:
        return ""
    return number_format(Decimal(value), decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _coordinate(value: float) -> str:
    return f"{value:.1f}"


def nice_step(span: Decimal, count: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) that cuts `span` into about `count` parts."""
    if span <= 0:
        return Decimal(1)
    raw = span / count
    exponent = Decimal(10) ** math.floor(math.log10(raw))
    for step in NICE_STEPS:
        if raw <= step * exponent:
            return step * exponent
    return NICE_STEPS[-1] * exponent  # pragma: no cover - NICE_STEPS ends at 10


def value_range(values, include_zero: bool = True) -> tuple[Decimal, Decimal, Decimal]:
    """(lowest tick, highest tick, step) covering the values: rounded out to whole steps; zero included when asked;
    a single value (or all equal) gets room around it; no values at all gives 0–1."""
    numbers = [Decimal(v) for v in values if v is not None]
    if not numbers:
        return Decimal(0), Decimal(1), Decimal("0.25")
    low, high = min(numbers), max(numbers)
    if include_zero:
        low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if low == high:
        pad = abs(low) / 10 if low else Decimal(1)
        low, high = low - pad, high + pad
    step = nice_step(high - low)
    low = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    high = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    return low, high, step


def scale(value, low, high, pixel_low: float, pixel_high: float) -> float:
    """Map `value` linearly from [low, high] to [pixel_low, pixel_high] (pixel_high may be smaller: SVG's y grows
    downwards). A zero-width range maps to the middle."""
    if high == low:
        return (pixel_low + pixel_high) / 2
    fraction = float((Decimal(value) - Decimal(low)) / (Decimal(high) - Decimal(low)))
    return pixel_low + fraction * (pixel_high - pixel_low)


def x_positions(count: int, left: float, right: float) -> list[float]:
    """Evenly spread over [left, right]; a single point in the middle."""
    if count == 1:
        return [(left + right) / 2]
    return [left + i * (right - left) / (count - 1) for i in range(count)]


def _decimals_of(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent)


def line_chart(
    chart_id: str,
    labels: list[str],
    series: list[Series],
    *,
    title: str,
    description: str,
    x_heading: str,
    unit: str = "",
    decimals: int = 2,
    include_zero: bool = True,
    width: int = 640,
    height: int = 280,
    max_x_labels: int = 8,
    caption: str = "",
    range_values: list | None = None,
) -> Chart:
    """A line chart of `series` over `labels` (see the module's docstring). `range_values`, when given, decide the
    y axis instead of the series' own values: small multiples share one scale that way."""
    left, right, top, bottom = 72, width - 16, 48, height - 32
    if range_values is None:
        range_values = [v for s in series for v in s.values]
    low, high, step = value_range(range_values, include_zero)
    tick_decimals = _decimals_of(step)
    y_ticks = []
    tick = low
    while tick <= high:
        y_ticks.append(Tick(_coordinate(scale(tick, low, high, bottom, top)), fmt_number(tick, tick_decimals)))
        tick += step
    xs = x_positions(len(labels), left, right) if labels else []
    every = max(1, math.ceil(len(labels) / max_x_labels)) if labels else 1
    x_ticks = [Tick(_coordinate(xs[i]), labels[i]) for i in range(0, len(labels), every)]
    lines = []
    for index, one in enumerate(series):
        style = STYLES[one.style]
        line = Line(
            one.key, one.label, style["stroke"], style["dash"], style["marker"], _coordinate(left + index * 160)
        )
        run: list[str] = []
        for i, value in enumerate(one.values[: len(labels)]):
            if value is None:
                if len(run) > 1:
                    line.segments.append(" ".join(run))
                run = []
                continue
            x, y = _coordinate(xs[i]), _coordinate(scale(value, low, high, bottom, top))
            run.append(f"{x},{y}")
            line.markers.append(Marker(x, y, fmt_number(value, decimals)))
        if len(run) > 1:
            line.segments.append(" ".join(run))
        lines.append(line)
    rows = [
        Row(label, [fmt_number(s.values[i], decimals) if s.values[i] is not None else "" for s in series])
        for i, label in enumerate(labels)
    ]
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        x_heading=x_heading,
        unit=unit,
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        lines=lines,
        rows=rows,
        caption=caption,
    )
