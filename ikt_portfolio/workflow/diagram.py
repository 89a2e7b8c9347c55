"""A workflow version drawn as SVG for the Desk: states in columns by their distance from the initial
state, transitions as arrows labelled with the action. The page also lists every transition as a table,
which is the text alternative for screen readers."""

from html import escape

from .models import FINAL_CATEGORIES

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN_X, MARGIN_Y = 210, 50, 150, 40, 150, 30
COLOURS = {"open": "#e7f0fb", "waiting": "#fff4d6", "done": "#e2f4e6", "rejected": "#fbe3e3", "cancelled": "#eeeeee"}


def main_path(states, transitions) -> list[str]:
    """The longest route without repeats from the initial state to a final state: the diagram's spine."""
    outgoing: dict[str, list[str]] = {s.key: [] for s in states}
    for t in transitions:
        outgoing[t.from_state.key].append(t.to_state.key)
    finals = {s.key for s in states if s.category == "done"} or {
        s.key for s in states if s.category in FINAL_CATEGORIES
    }
    initial = next((s.key for s in states if s.is_initial), None)
    best: list[str] = [initial] if initial else []
    stack = [(initial, [initial])] if initial else []
    explored = 0
    while stack and explored < 20000:  # small graphs; the cap keeps a pathological one bounded
        explored += 1
        key, path = stack.pop()
        if key in finals and len(path) > len(best):
            best = path
        for following in outgoing[key]:
            if following not in path:
                stack.append((following, [*path, following]))
    return best


def layout(states, transitions) -> dict[str, tuple[int, int]]:
    """The main path runs along the top row; every other state hangs below the first state leading to it."""
    spine = main_path(states, transitions)
    positions = {key: (column, 0) for column, key in enumerate(spine)}
    rows_used: dict[int, int] = {}
    pending = [s for s in sorted(states, key=lambda s: (s.order, s.key)) if s.key not in positions]
    for _round in range(len(pending) + 1):
        left = []
        for state in pending:
            sources = [positions[t.from_state.key][0] for t in transitions
                       if t.to_state.key == state.key and t.from_state.key in positions]  # fmt: skip
            if not sources:
                left.append(state)
                continue
            column = min(sources)
            rows_used[column] = rows_used.get(column, 0) + 1
            positions[state.key] = (column, rows_used[column])
        if not left or len(left) == len(pending):
            pending = left
            break
        pending = left
    for state in pending:  # unreachable: a column of their own at the end
        column = len(spine)
        rows_used[column] = rows_used.get(column, -1) + 1
        positions[state.key] = (column, rows_used[column])
    return positions


def render_svg(states, transitions, title: str) -> str:
    states = list(states)
    transitions = list(transitions)
    if not states:
        return ""
    positions = layout(states, transitions)
    columns = max(c for c, _ in positions.values()) + 1
    rows = max(r for _, r in positions.values()) + 1
    width = MARGIN_X + 40 + columns * BOX_W + (columns - 1) * GAP_X
    height = MARGIN_Y * 2 + rows * BOX_H + (rows - 1) * GAP_Y + 80

    def box(key):
        column, row = positions[key]
        return MARGIN_X + column * (BOX_W + GAP_X), MARGIN_Y + row * (BOX_H + GAP_Y)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="wf-diagram-title" font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="wf-diagram-title">{escape(title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    for index, t in enumerate(transitions):
        (c1, r1), (c2, r2) = positions[t.from_state.key], positions[t.to_state.key]
        x1, y1 = box(t.from_state.key)
        x2, y2 = box(t.to_state.key)
        anchor = "middle"
        if c2 > c1:  # forward: right side to left side
            sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H / 2, x2, y2 + BOX_H / 2
            path = f"M{sx},{sy} C{sx + GAP_X / 2},{sy} {ex - GAP_X / 2},{ey} {ex},{ey}"
            lx, ly = (sx + ex) / 2, (sy + ey) / 2 - 5
        elif c2 == c1 and r2 > r1:  # down the same column, outside its left side (one lane per row)
            lane = x1 - 14 - 9 * r2
            sx, sy, ex, ey = x1, y1 + BOX_H * 0.75, x2, y2 + BOX_H / 2
            path = f"M{sx},{sy} C{lane},{sy} {lane},{ey} {ex},{ey}"
            lx, ly, anchor = lane - 4, ey - 8, "end"
        elif c2 == c1:  # up the same column, along its right side
            sx, sy, ex, ey = x1 + BOX_W - 12, y1, x2 + BOX_W - 12, y2 + BOX_H
            path = f"M{sx},{sy} L{ex},{ey}"
            lx, ly, anchor = sx - 6, (sy + ey) / 2 + 4, "end"
        else:  # backward: a curve under the boxes, from bottom to bottom
            sx, sy, ex, ey = x1 + BOX_W / 2 - 20, y1 + BOX_H, x2 + BOX_W / 2 + 20, y2 + BOX_H
            drop = max(sy, ey) + GAP_Y * 0.6 + (index % 2) * 10
            path = f"M{sx},{sy} C{sx},{drop} {ex},{drop} {ex},{ey}"
            lx, ly = (sx + ex) / 2, drop + 2
        dashed = ' stroke-dasharray="5 3"' if t.committee else ""
        parts.append(
            f'<path d="{path}" fill="none" stroke="#444" stroke-width="1.3"{dashed} marker-end="url(#arrow)"/>'
        )
        parts.append(
            f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="{anchor}" fill="#1a1a1a" '
            f'paint-order="stroke" stroke="#fff" stroke-width="3">{escape(t.localized_label)}</text>'
        )
    for state in states:
        x, y = box(state.key)
        border = 3 if state.is_initial else 1.5
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" '
            f'fill="{COLOURS.get(state.category, "#fff")}" '
            f'stroke="#222" stroke-width="{border}"/>'
        )
        parts.append(
            f'<text x="{x + BOX_W / 2}" y="{y + 20}" text-anchor="middle" font-weight="600" fill="#111">'
            f"{escape(str(state))}</text>"
        )
        parts.append(
            f'<text x="{x + BOX_W / 2}" y="{y + 36}" text-anchor="middle" fill="#333">'
            f"{escape(state.get_category_display())}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
