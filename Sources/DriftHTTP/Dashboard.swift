/// The dashboard: one self-contained page (no CDN, no fonts, no files beside the binary) that
/// reads `/api/v1` from the same origin. It shows the firing and acknowledged alerts (with an
/// ack button that POSTs `/api/v1/alerts/{id}/ack` with the token the operator types), per
/// model a heatmap of windows × features coloured by drift score, and per feature a
/// time-series chart of its figures with the thresholds of its rules; alerts link to their
/// feature's chart and model's heatmap, heatmap cells to the chart.
///
/// The drift score of a cell is the worst of the feature's figures, each divided by the
/// critical threshold of the rule that reads it (1 = critical), so features and models with
/// different rules share one colour scale.
///
/// When everything has loaded, `<body>` gets `data-state="ready"` (or `"error"`), for
/// `scripts/check-dashboard` and other headless checks.
enum Dashboard {
    static let page = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>driftd</title>
<style>
  :root { --ok: #2e7d32; --warn: #f9a825; --crit: #c62828; --none: #bdbdbd; --ink: #1f2933; --muted: #66788a; --line: #e3e8ee; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f8fa; }
  header { display: flex; align-items: center; gap: 24px; padding: 12px 24px; background: #102a43; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; letter-spacing: .5px; }
  header .stat { font-size: 13px; opacity: .9; }
  header .stat b { font-size: 18px; margin-right: 4px; }
  header label { margin-left: auto; font-size: 12px; }
  header input { margin-left: 6px; padding: 3px 6px; border-radius: 4px; border: 0; width: 180px; }
  main { padding: 16px 24px; max-width: 1400px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
  h2 { font-size: 16px; margin: 0 0 8px; }
  h3 { font-size: 14px; margin: 12px 0 6px; }
  table.alerts { border-collapse: collapse; width: 100%; }
  table.alerts th, table.alerts td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
  table.alerts th { font-size: 12px; color: var(--muted); font-weight: 600; }
  .sev { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 12px; }
  .sev.critical { background: var(--crit); } .sev.warning { background: var(--warn); color: #000; }
  .empty { color: var(--muted); font-style: italic; }
  button { font: inherit; font-size: 12px; padding: 2px 10px; border-radius: 4px; border: 1px solid #829ab1; background: #f0f4f8; cursor: pointer; }
  .msg { font-size: 12px; color: var(--muted); margin-left: 6px; }
  .meta { color: var(--muted); font-size: 12px; }
  table.heatmap { border-collapse: separate; border-spacing: 2px; }
  table.heatmap th { font-size: 11px; color: var(--muted); font-weight: 500; padding: 0 4px; white-space: nowrap; }
  table.heatmap th.feature { text-align: right; }
  table.heatmap td.cell { width: 22px; height: 20px; border-radius: 2px; cursor: pointer; }
  table.heatmap td.cell.insufficient_data { background: repeating-linear-gradient(45deg, #eee, #eee 3px, #ddd 3px, #ddd 6px); }
  table.heatmap td.cell.selected { outline: 2px solid #102a43; }
  .legend { display: flex; align-items: center; gap: 6px; font-size: 11px; color: var(--muted); margin-top: 6px; }
  .legend .ramp { width: 160px; height: 10px; border-radius: 2px; background: linear-gradient(90deg, hsl(120,55%,45%), hsl(60,80%,50%), hsl(0,70%,45%)); }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
  .chart { border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; }
  .chart.highlight { border-color: #102a43; box-shadow: 0 0 0 2px #9fb3c8; }
  .chart h4 { margin: 0 0 4px; font-size: 13px; }
  .chart svg { width: 100%; height: 150px; display: block; }
  .chart .axis { stroke: #9aa5b1; stroke-width: 1; }
  .chart .series { fill: none; stroke: #2962ff; stroke-width: 1.8; }
  .chart .series.ks_d, .chart .series.unseen_rate { stroke: #8e24aa; }
  .chart .thr { stroke-dasharray: 4 3; stroke-width: 1.2; }
  .chart .thr.warn { stroke: var(--warn); } .chart .thr.critical { stroke: var(--crit); }
  .chart text { font-size: 10px; fill: var(--muted); }
  a { color: #1565c0; text-decoration: none; } a:hover { text-decoration: underline; }
  #error { color: var(--crit); }
</style>
</head>
<body data-state="loading">
<header>
  <h1>driftd</h1>
  <span class="stat"><b id="firing-count">–</b>firing</span>
  <span class="stat"><b id="acked-count">–</b>acknowledged</span>
  <span class="stat"><b id="model-count">–</b>models</span>
  <span class="stat" id="updated"></span>
  <label>API token <input id="token" type="password" autocomplete="off" placeholder="for ack"></label>
</header>
<main>
  <p id="error"></p>
  <section id="firing"><h2>Firing alerts</h2><div id="firing-table"></div></section>
  <section id="acknowledged"><h2>Acknowledged alerts</h2><div id="acked-table"></div></section>
  <div id="models"></div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};
const svg = (tag, attrs = {}) => {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};
const enc = encodeURIComponent;
const anchor = (...parts) => parts.map((p) => String(p).replace(/[^A-Za-z0-9_-]/g, "_")).join("--");
const fmt = (x) => x === undefined || x === null ? "–" : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3);
async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

// Event-time windows are labelled by their start (local time), count windows by index.
const windowSettings = {};
function windowLabel(model, index) {
  const w = windowSettings[model];
  if (!w || w.basis !== "event_time") return "#" + index;
  const d = new Date(index * w.hop);
  return w.size >= 86400000 ? d.toLocaleDateString() : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: w.size < 60000 ? "2-digit" : undefined });
}

// Acknowledged: a firing alert with an active acknowledgement.
const isAcked = (a) => !!a.acknowledgement;

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("driftd.token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("driftd.token", tokenInput.value));

async function acknowledge(alert, button, message) {
  const token = tokenInput.value.trim();
  if (!token) { message.textContent = "type the API token first (top right)"; tokenInput.focus(); return; }
  button.disabled = true;
  try {
    const r = await fetch(`/api/v1/alerts/${alert.id}/ack`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify({ by: "dashboard", note: "acknowledged from the dashboard" }),
    });
    if (r.ok) { message.textContent = "acknowledged"; setTimeout(load, 500); return; }
    message.textContent = r.status === 401 ? "token refused" : r.status === 409 ? "no longer firing" : `failed: ${r.status}`;
  } catch (e) { message.textContent = "failed: " + e.message; }
  button.disabled = false;
}

function alertTable(alerts, withAck) {
  if (!alerts.length) return el("p", { class: "empty" }, "none");
  const t = el("table", { class: "alerts" },
    el("tr", {}, ...["severity", "model", "feature", "rule", "value", "since", "updated", ""].map((h) => el("th", {}, h))));
  for (const a of alerts) {
    const message = el("span", { class: "msg" });
    const button = withAck ? el("button", { type: "button" }, "Ack") : null;
    if (button) button.addEventListener("click", () => acknowledge(a, button, message));
    const feature = a.feature
      ? el("a", { href: "#" + anchor("chart", a.model, a.feature), onclick: () => highlight(a.model, a.feature) }, a.feature)
      : el("span", { class: "meta" }, "(model)");
    t.append(el("tr", { class: "alert", "data-alert-id": a.id },
      el("td", {}, el("span", { class: "sev " + (a.severity || "") }, a.severity || "–")),
      el("td", {}, el("a", { href: "#" + anchor("model", a.model) }, a.model)),
      el("td", {}, feature), el("td", {}, a.rule), el("td", {}, fmt(a.value)),
      el("td", { title: "window " + a.started_window }, windowLabel(a.model, a.started_window)), el("td", { class: "meta" }, a.updated_at.replace("T", " ").slice(0, 19)),
      el("td", {}, ...(button ? [button, message] : []))));
  }
  return t;
}

function highlight(model, feature) {
  document.querySelectorAll(".chart.highlight").forEach((c) => c.classList.remove("highlight"));
  document.querySelectorAll(`.chart[data-model="${CSS.escape(model)}"][data-feature="${CSS.escape(feature)}"]`).forEach((c) => c.classList.add("highlight"));
}

// The worst of the feature's figures, each as a share of its rule's critical threshold
// (warn when the rule has none): 1 = critical. A KS D counts only with its p-value below the
// rule's bound, as in the rules themselves. Falls back to PSI / 0.2 without rules.
function driftScore(f, thresholds) {
  let score;
  for (const t of thresholds) {
    const v = f[t.field];
    if (v === undefined || t.comparator !== "above") continue;
    if (t.max_p_value !== undefined && !(f.ks_p < t.max_p_value)) continue;
    const s = v / (t.critical ?? t.warn);
    if (score === undefined || s > score) score = s;
  }
  return score ?? (f.psi !== undefined ? f.psi / 0.2 : undefined);
}

// 0 → green, 0.5 (the warn PSI under default rules) → yellow, ≥ 1 (critical) → red.
function scoreColour(score) {
  const s = Math.max(0, Math.min(1, score));
  return `hsl(${Math.round(120 * (1 - s))}, ${55 + Math.round(25 * Math.sin(Math.PI * s))}%, ${45 + Math.round(5 * Math.sin(Math.PI * s))}%)`;
}

function heatmap(model, windows, seriesByFeature) {
  const features = [];
  for (const w of windows) for (const f of w.features) if (!features.includes(f.name)) features.push(f.name);
  const table = el("table", { class: "heatmap", "data-model": model });
  const head = el("tr", {}, el("th", {}, ""));
  for (const w of windows) head.append(el("th", { title: `window ${w.window_index}: ` + (w.start_time || `records ${w.start}–${w.end}`) }, windowLabel(model, w.window_index)));
  table.append(head);
  for (const name of features) {
    const thresholds = seriesByFeature[name]?.thresholds || [];
    const row = el("tr", {}, el("th", { class: "feature" }, el("a", { href: "#" + anchor("chart", model, name), onclick: () => highlight(model, name) }, name)));
    for (const w of windows) {
      const f = w.features.find((x) => x.name === name);
      const cell = el("td", { class: "cell " + (f ? f.status : "insufficient_data"), "data-window": w.window_index, "data-feature": name });
      const score = f && f.status !== "insufficient_data" ? driftScore(f, thresholds) : undefined;
      if (score !== undefined) {
        cell.style.background = scoreColour(score);
        cell.dataset.score = score.toFixed(3);
      }
      cell.title = f ? `${name} · window ${w.window_index}\nstatus ${f.status}\nPSI ${fmt(f.psi)}` +
        (f.ks_d !== undefined ? `\nKS D ${fmt(f.ks_d)} (p ${fmt(f.ks_p)})` : "") +
        (f.chi2_p !== undefined ? `\nchi² p ${fmt(f.chi2_p)}` : "") + (f.js !== undefined ? `\nJS ${fmt(f.js)}` : "") : `${name}: not in this window`;
      cell.addEventListener("click", () => { highlight(model, name); location.hash = anchor("chart", model, name); });
      row.append(cell);
    }
    table.append(row);
  }
  return table;
}

// One chart per figure a rule reads (PSI first), with that rule's warn and critical lines.
function charts(model, feature, series) {
  const out = [];
  const fields = [];
  for (const t of series.thresholds) if (!fields.includes(t.field) && ["psi", "ks_d", "unseen_rate", "js", "w1", "missing_rate_increase"].includes(t.field)) fields.push(t.field);
  for (const field of fields.filter((f) => f === "psi" || f === "ks_d" || f === "unseen_rate")) {
    const points = series.points.filter((p) => p.figures[field] !== undefined && p.figures.status !== "insufficient_data");
    const rules = series.thresholds.filter((t) => t.field === field);
    const W = 420, H = 150, L = 40, R = 8, T = 8, B = 18;
    const maxY = Math.max(1e-9, ...points.map((p) => p.figures[field]), ...rules.map((r) => (r.critical ?? r.warn) * 1.15));
    const xs = points.map((p) => p.window_index);
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
    const X = (i) => L + (W - L - R) * (i - x0) / (x1 - x0), Y = (v) => T + (H - T - B) * (1 - v / maxY);
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img" });
    s.append(svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }), svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }));
    for (const v of [0, maxY / 2, maxY]) { const t = svg("text", { x: 2, y: Y(v) + 3 }); t.textContent = fmt(v); s.append(t); }
    for (const [i, anchorAt] of [[x0, "start"], [x1, "end"]]) { const t = svg("text", { x: X(i), y: H - 4, "text-anchor": anchorAt }); t.textContent = windowLabel(model, i); s.append(t); }
    for (const r of rules) for (const [level, v] of [["warn", r.warn], ["critical", r.critical]]) {
      if (v === undefined || v === null) continue;
      s.append(svg("line", { class: `thr ${level}`, "data-threshold": v, x1: L, x2: W - R, y1: Y(v), y2: Y(v) }));
      const t = svg("text", { x: W - R - 2, y: level === "critical" ? Y(v) - 3 : Y(v) + 10, "text-anchor": "end" }); t.textContent = `${r.rule} ${level} ${v}`; s.append(t);
    }
    if (points.length) s.append(svg("polyline", { class: `series ${field}`, points: points.map((p) => `${X(p.window_index).toFixed(1)},${Y(p.figures[field]).toFixed(1)}`).join(" ") }));
    for (const p of points) {
      const c = svg("circle", { cx: X(p.window_index), cy: Y(p.figures[field]), r: 2.2, fill: p.figures.status === "critical" ? "#c62828" : p.figures.status === "warn" ? "#f9a825" : "#2962ff" });
      const tip = svg("title"); tip.textContent = `window ${p.window_index}: ${field} ${fmt(p.figures[field])} (${p.figures.status})`; c.append(tip);
      s.append(c);
    }
    const label = { psi: "PSI", ks_d: "KS D", unseen_rate: "unseen categories" }[field];
    out.push(el("div", { class: "chart", id: field === "psi" ? anchor("chart", model, feature) : null, "data-model": model, "data-feature": feature, "data-field": field },
      el("h4", {}, `${feature} · ${label} `, el("span", { class: "meta" }, `(${series.kind}, ${points.length} windows)`)), s));
  }
  return out;
}

async function load() {
  try {
    const [firing, models] = await Promise.all([api("/api/v1/alerts?state=firing&limit=1000"), api("/api/v1/models")]);
    const acked = firing.alerts.filter(isAcked), open = firing.alerts.filter((a) => !isAcked(a));
    $("firing-count").textContent = open.length;
    $("acked-count").textContent = acked.length;
    $("model-count").textContent = models.models.length;
    const container = $("models");
    for (const m of models.models) if (m.window) windowSettings[m.id] = m.window;
    $("firing-table").replaceChildren(alertTable(open, true));
    $("acked-table").replaceChildren(alertTable(acked, false));
    const sections = [];
    for (const m of models.models) {
      const windows = (await api(`/api/v1/models/${enc(m.id)}/windows?last=40`)).windows;
      const names = [];
      for (const w of windows) for (const f of w.features) if (!names.includes(f.name)) names.push(f.name);
      const seriesByFeature = {};
      await Promise.all(names.map(async (n) => { seriesByFeature[n] = await api(`/api/v1/models/${enc(m.id)}/features/${enc(n)}/series?last=40`); }));
      const latest = m.latest_window;
      // The inventory (who answers for the model, its stage and risk tier) leads the line.
      const inv = m.inventory || {};
      const who = [inv.stage, inv.risk_tier && `risk ${inv.risk_tier}`, inv.team && `team ${inv.team}`, inv.owner].filter(Boolean).join(" · ");
      const section = el("section", { class: "model", id: anchor("model", m.id), "data-model": m.id },
        el("h2", inv.description ? { title: inv.description } : {}, m.id, " ", el("span", { class: "meta", "data-inventory": who, "data-firing": m.firing_alerts - m.acknowledged_alerts, "data-acknowledged": m.acknowledged_alerts },
          (who ? who + " · " : "") + `baseline ${m.active_baseline ? m.active_baseline.version : "none"} · ${m.firing_alerts - m.acknowledged_alerts} firing` +
          (m.acknowledged_alerts ? ` · ${m.acknowledged_alerts} acknowledged` : "") +
          (latest ? ` · latest window ${windowLabel(m.id, latest.window_index)}: ${latest.status}, ${latest.record_count} records` : " · no windows yet"))));
      if (windows.length) {
        section.append(el("h3", {}, `Drift by window (${windows.length} latest) × feature`), heatmap(m.id, windows, seriesByFeature),
          el("div", { class: "legend" }, "drift score = worst figure / its critical threshold:", "0", el("span", { class: "ramp" }), "≥ 1 (critical)", " · hatched: insufficient data"));
        const grid = el("div", { class: "charts" });
        for (const n of names) grid.append(...charts(m.id, n, seriesByFeature[n]));
        section.append(el("h3", {}, "Features over time, with their thresholds"), grid);
      }
      sections.push(section);
    }
    container.replaceChildren(...sections);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    $("error").textContent = "";
    document.body.dataset.state = "ready";
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  } catch (e) {
    $("error").textContent = "could not load: " + e.message;
    document.body.dataset.state = "error";
  }
}
load();
setInterval(() => { if (!document.hidden) load(); }, 15000);
</script>
</body>
</html>
"""#
}
