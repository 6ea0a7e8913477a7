#!/usr/bin/env python3
"""Draws scripts/many-models-bench's table as an SVG: records/s relative to 10 models, and
peak RSS, against the number of models (log scale). No dependencies.

  scripts/many-models-bench > table.md && python3 Benchmarks/models/plot_models.py table.md docs/many-models.svg
"""
import math
import sys


def rows(path):
    out = []
    for line in open(path):
        cells = [c.strip().replace(",", "") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].isdigit():
            out.append((int(cells[0]), float(cells[2]), float(cells[3].rstrip("×")), float(cells[4])))
    return out


def main():
    data = rows(sys.argv[1])
    if not data:
        sys.exit("no table rows in " + sys.argv[1])
    w, h, left, right, top, bottom = 680, 360, 70, 80, 44, 50
    xs = [math.log10(m) for m, *_ in data]
    x0, x1 = min(xs), max(xs)
    rss_max = max(r for *_, r in data) * 1.1

    def x(m):
        return left + (math.log10(m) - x0) / (x1 - x0 or 1) * (w - left - right)

    def y_ratio(v):
        return top + (1 - v / 1.1) * (h - top - bottom)

    def y_rss(v):
        return top + (1 - v / rss_max) * (h - top - bottom)

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="14">driftd replay, many models of 20 features (scripts/many-models-bench)</text>' % left]
    for g in (0, 0.25, 0.5, 0.75, 1.0):
        svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, w - right, y_ratio(g), y_ratio(g)))
        svg.append('<text x="%d" y="%.1f" text-anchor="end">%.2f×</text>' % (left - 6, y_ratio(g) + 4, g))
    for frac in (0, 0.5, 1.0):
        svg.append('<text x="%d" y="%.1f" fill="#c63">%s MB</text>' % (w - right + 6, y_rss(frac * rss_max) + 4, f"{int(frac * rss_max):,}"))
    for goal, label in ((0.8, "goal at 1,000"), (0.5, "goal at 10,000")):
        svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#2a7" stroke-dasharray="4 3"/>' % (left, w - right, y_ratio(goal), y_ratio(goal)))
        svg.append('<text x="%d" y="%.1f" fill="#2a7">%s</text>' % (left + 4, y_ratio(goal) - 4, label))
    for m, *_ in data:
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x(m), h - bottom + 18, f"{m:,}"))
    svg.append('<text x="%d" y="%d" text-anchor="middle">models (log scale)</text>' % ((left + w - right) // 2, h - 10))
    ratio = " ".join("%.1f,%.1f" % (x(m), y_ratio(r)) for m, _, r, _ in data)
    svg.append('<polyline points="%s" fill="none" stroke="#36c" stroke-width="2"/>' % ratio)
    for m, rate, r, _ in data:
        svg.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#36c"/><text x="%.1f" y="%.1f" fill="#36c">%.2f×</text>'
                   % (x(m), y_ratio(r), x(m) + 5, y_ratio(r) - 6, r))
    rss = " ".join("%.1f,%.1f" % (x(m), y_rss(v)) for m, _, _, v in data)
    svg.append('<polyline points="%s" fill="none" stroke="#c63" stroke-width="2"/>' % rss)
    for m, _, _, v in data:
        svg.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#c63"/>' % (x(m), y_rss(v)))
    svg.append('<text x="%d" y="%.1f" fill="#c63" text-anchor="end">peak RSS (right axis) %s MB</text>' % (w - right - 8, y_rss(data[-1][3]) + 4, f"{int(data[-1][3]):,}"))
    svg.append('<text x="%d" y="%d" fill="#36c">records/s relative to 10 models</text>' % (left, top - 4))
    svg.append('</svg>')
    open(sys.argv[2], "w").write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
