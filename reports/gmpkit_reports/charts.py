"""plotly figures for the report. Each returns an HTML <div> fragment (no
plotly.js: render embeds the library once)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from .model import PEER_NAMES

_COLORS = {"gmpkit": "#1f77b4", "go": "#2ca02c", "tbb": "#ff7f0e", "boost_fiber": "#9467bd", "std_thread": "#8c564b"}
_LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=40, b=60), height=380)


def _div(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(**_LAYOUT)
    # plotly 5.4 (Debian 12) has no div_id argument: the inner div gets a uuid.
    html = pio.to_html(fig, full_html=False, include_plotlyjs=False,
                       config={"displaylogo": False, "responsive": True})
    return f'<div class="gmpkit-chart" data-chart="{div_id}">{html}</div>'


def samples_box(rows: list[dict[str, Any]], div_id: str, title: str) -> str:
    """Every repetition as a point, the box is Q1..Q3 with Tukey whiskers;
    points beyond the fences are drawn as outliers (never dropped)."""
    fig = go.Figure()
    for r in rows:
        fig.add_trace(go.Box(y=r["samples"], name=r["workload"], boxpoints="all", jitter=0.3,
                             pointpos=0, marker=dict(size=5), line=dict(width=1), showlegend=False))
    fig.update_layout(title=title, yaxis=dict(title="ns (log)", type="log"))
    return _div(fig, div_id)


def peer_ratios(rows: list[dict[str, Any]], div_id: str, title: str) -> str:
    fig = go.Figure()
    for peer in sorted({r["peer"] for r in rows}):
        sel = [r for r in rows if r["peer"] == peer]
        fig.add_trace(go.Bar(
            x=[r["workload"] for r in sel], y=[r["ratio"] for r in sel], name=f"gmpkit / {PEER_NAMES[peer]}",
            marker_color=_COLORS.get(peer),
            error_y=dict(type="data", symmetric=False, array=[r["high"] - r["ratio"] for r in sel],
                         arrayminus=[r["ratio"] - r["low"] for r in sel])))
    fig.add_hline(y=1.0, line_dash="dash", line_color="black")
    fig.update_layout(title=title, barmode="group", yaxis=dict(title="ratio of medians (log; < 1: gmpkit faster)",
                                                               type="log"))
    return _div(fig, div_id)


def latency_histogram(hists: list[dict[str, Any]], div_id: str, title: str) -> str:
    """One trace per implementation (gmpkit next to its peers), log x axis,
    dotted lines at p50 / p99 / p99.9 / max."""
    fig = go.Figure()
    dashes = {"p50": "dot", "p99": "dash", "p99.9": "dashdot", "max": "solid"}
    for h in hists:
        upper = h["upper_ns"]
        lower = [upper[0] / 2] + upper[:-1]
        centers = [(lo * up) ** 0.5 for lo, up in zip(lower, upper)]
        color = _COLORS.get(h["impl"], "#333")
        name = PEER_NAMES.get(h["impl"], h["impl"])
        fig.add_trace(go.Scatter(x=centers, y=h["counts"], mode="lines+markers", line_shape="hvh",
                                 name=f"{name} (n={h['count']})", line=dict(color=color)))
        for mark, value in h["marks"].items():
            fig.add_vline(x=max(value, 1e-9), line_dash=dashes[mark], line_color=color, opacity=0.7,
                          annotation_text=f"{name} {mark} {value / 1e3:.3g} µs", annotation_textangle=-90,
                          annotation_font_size=9)
    fig.update_layout(title=title, xaxis=dict(title="latency ns (log)", type="log"),
                      yaxis=dict(title="samples per bucket"))
    return _div(fig, div_id)


def medians_bar(rows: list[dict[str, Any]], div_id: str, title: str) -> str:
    s = [r["summary"] for r in rows]
    fig = go.Figure(go.Bar(x=[r["workload"] for r in rows], y=[x["median"] for x in s],
                           error_y=dict(type="data", symmetric=False,
                                        array=[x["ci_high"] - x["median"] for x in s],
                                        arrayminus=[x["median"] - x["ci_low"] for x in s]),
                           marker_color=_COLORS["gmpkit"]))
    fig.update_layout(title=title, yaxis=dict(title="ns per op (median, 95 % CI)"))
    return _div(fig, div_id)


def heatmap(hm: dict[str, Any], names: dict[str, str], div_id: str, title: str) -> str:
    fig = go.Figure(go.Heatmap(
        z=hm["ratio"], x=[f"{names.get(m) or m} ({m[:6]})" for m in hm["machines"]], y=hm["workloads"],
        colorscale="RdBu_r", zmid=1.0, colorbar=dict(title="new / baseline"),
        hovertemplate="%{y} on %{x}: %{z:.3f}<extra></extra>"))
    fig.update_layout(title=title, height=max(380, 18 * len(hm["workloads"]) + 120),
                      yaxis=dict(automargin=True))
    fig.update_layout(height=max(380, 18 * len(hm["workloads"]) + 120))
    html = _div(fig, div_id)
    return html


def history(series: list[dict[str, Any]], names: dict[str, str], div_id: str, title: str) -> str:
    """One trace per machine (never pooled): median with its CI per commit;
    change points marked with a red X."""
    fig = go.Figure()
    for s in series:
        pts = s["points"]
        label = names.get(s["machine_id"]) or s["machine_id"]
        fig.add_trace(go.Scatter(
            x=[p["started_utc"] for p in pts], y=[p["median"] for p in pts], mode="lines+markers",
            name=f"{label} ({s['machine_id'][:6]})", text=[p["commit"] for p in pts],
            hovertemplate="%{text}: %{y:.4g} ns<extra></extra>",
            error_y=dict(type="data", symmetric=False, array=[p["high"] - p["median"] for p in pts],
                         arrayminus=[p["median"] - p["low"] for p in pts])))
        if s["change_points"]:
            cps = [pts[c["index"]] for c in s["change_points"]]
            fig.add_trace(go.Scatter(x=[p["started_utc"] for p in cps], y=[p["median"] for p in cps],
                                     mode="markers", marker=dict(symbol="x", size=14, color="red"),
                                     name=f"change point ({label})"))
    fig.update_layout(title=title, yaxis=dict(title="ns (median, 95 % CI)", type="log"), height=320)
    return _div(fig, div_id)
