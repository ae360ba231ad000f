# SPDX-License-Identifier: GPL-2.0
"""netdive-trace's picture: the packets' paths as an SVG call-flow diagram.

One horizontal lane per layer (socket, transport, netfilter, IP, core, driver), one box
per step from left to right in time, arrows from step to step; each packet's boxes in
a band of its own colour, our Rust functions with a thick orange border and an "R" tag,
the drop in red with its sentence underneath. Written directly as SVG, not through
graphviz: the lanes are fixed rows and the order is time, which a layout engine would
rearrange (dot's clusters do not keep rows), and nothing needs installing.
"""

from xml.sax.saxutils import escape

from tracepath import LAYERS

BOX_W, BOX_H, GAP, LANE_H, LEFT, TOP = 150, 34, 18, 56, 110, 50
COLOURS = ["#dbeafe", "#dcfce7", "#fef9c3", "#fce7f3", "#e0e7ff", "#ffedd5"]


def _label(step):
    text = step.probe.label or step.probe.target
    return text if len(text) <= 24 else text[:23] + "\u2026"


def render(paths, title):
    steps = [(i, s) for i, p in enumerate(paths) for s in p.steps]
    steps.sort(key=lambda t: t[1].event.ts)
    width = LEFT + len(steps) * (BOX_W + GAP) + 40
    drops = [p for p in paths if p.drop]
    height = TOP + len(LAYERS) * LANE_H + 40 + 18 * (len(drops) + len(paths))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<title>{escape(title)}</title>',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
        f'<text x="10" y="24" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for li, layer in enumerate(LAYERS):
        y = TOP + li * LANE_H
        shade = "#f8fafc" if li % 2 else "#eef2f7"
        out.append(f'<g class="lane" data-layer="{layer}"><rect x="0" y="{y}" '
                   f'width="{width}" height="{LANE_H}" fill="{shade}"/>'
                   f'<text x="10" y="{y + LANE_H // 2 + 4}" font-weight="bold">{layer}</text></g>')
    pos = {}
    for n, (pi, s) in enumerate(steps):
        x = LEFT + n * (BOX_W + GAP)
        y = TOP + LAYERS.index(s.probe.layer) * LANE_H + (LANE_H - BOX_H) // 2
        pos[id(s)] = (x, y)
        is_drop = bool(paths[pi].drop) and s is _drop_step(paths[pi])
        cls = "step drop" if is_drop else ("step rust" if s.probe.rust else "step")
        fill = "#fecaca" if is_drop else COLOURS[pi % len(COLOURS)]
        stroke = "#dc2626" if is_drop else ("#ea580c" if s.probe.rust else "#64748b")
        sw = 3 if (is_drop or s.probe.rust) else 1
        tip = f"packet {pi + 1}: {s.probe.target} {s.dev} {s.ns} {s.note}".strip()
        where = f"#{pi + 1} {s.dev or '-'} {s.ns}".strip()
        out.append(f'<g class="{cls}"><title>{escape(tip)}</title>'
                   f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="5" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
                   f'<text x="{x + 6}" y="{y + 14}">{escape(_label(s))}</text>'
                   f'<text x="{x + 6}" y="{y + 27}" fill="#475569">'
                   f'{escape(where)}</text>'
                   + (f'<text x="{x + BOX_W - 14}" y="{y + 14}" fill="#ea580c" '
                      f'font-weight="bold">R</text>' if s.probe.rust else "")
                   + '</g>')
    for p in paths:
        for a, b in zip(p.steps, p.steps[1:]):
            (x1, y1), (x2, y2) = pos[id(a)], pos[id(b)]
            out.append(f'<line class="flow" x1="{x1 + BOX_W}" y1="{y1 + BOX_H // 2}" '
                       f'x2="{x2}" y2="{y2 + BOX_H // 2}" stroke="#555" '
                       f'marker-end="url(#arrow)"/>')
    y = TOP + len(LAYERS) * LANE_H + 24
    for i, p in enumerate(paths):
        text = f"packet {i + 1}: {p.summary}" + (f" \u2014 {p.drop}" if p.drop else "")
        colour = "#dc2626" if p.drop else "#0f172a"
        out.append(f'<text class="{"drop-text" if p.drop else "path-text"}" x="10" y="{y}" '
                   f'fill="{colour}">{escape(text)}</text>')
        y += 18
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _drop_step(path):
    for s in reversed(path.steps):
        if s.event.name in ("kfree_skb", "nd_xdp_verdict"):
            return s
    return None
