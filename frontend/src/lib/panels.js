// The panels of a dashboard page: kpi, timeseries, ranking, table, alerts, map.
// Each panel subscribes to its scenario through the shared Live connection, redraws on updates (at most once
// per animation frame), shows "as of HH:MM:SS" and its freshness (ok / stale = amber / down = red), and
// releases everything it holds (listeners, chart instances, timers) in destroy().
import { t, pick, splitTitle, getLang } from './i18n.js';
import { fmtValue, fmtTime, fmtHM, fmtMonth, fmtDelta, fmtDateTime } from './fmt.js';
import { HEARTBEAT_MS } from './live.js';
import { echarts, PALETTE } from './charts.js';
import { api } from './api.js';

const KPI_HISTORY = 180; // samples kept for a KPI's sparkline and change (bounded)
const KPI_SAMPLE_MS = 5000; // at most one sample per 5 s: 180 samples = 15 minutes
const SERIES_MAX_POINTS = 360;

import { el } from './dom.js';
export { el };
const arr = (v) => (v == null ? [] : Array.isArray(v) ? v : [v]);
/** A display name for a raw value: the panel's `names` (Vietnamese) / `names_en` tables. */
function nameOf(def, v) {
  const m = (getLang() === 'en' && def.names_en) || def.names;
  if (m && v != null && Object.prototype.hasOwnProperty.call(m, String(v))) return String(m[String(v)]);
  return v;
}
const num = (v) => (typeof v === 'number' ? v : v == null ? null : Number(v));

/** Freshness threshold of a scenario: three intervals, and at least three heartbeats. */
export function staleAfter(everyMs) {
  return Math.max(3 * (everyMs || 2000), 3 * HEARTBEAT_MS);
}

export class Panel {
  constructor(def, ctx) {
    this.def = def;
    this.ctx = ctx;
    this.type = def.type;
    this.root = el('section', `panel panel-${def.type}`);
    this.root.dataset.type = def.type;
    if (def.scenario) this.root.dataset.scenario = def.scenario;
    const [c, r, w, h] = arr(def.area);
    if (c && r && w && h) this.root.style.gridArea = `${r} / ${c} / span ${h} / span ${w}`;
    const head = el('header', 'panel-head');
    this.titleEl = el('h2', 'panel-title', this.title());
    this.asOfEl = el('span', 'panel-asof');
    head.append(this.titleEl, this.asOfEl);
    this.body = el('div', 'panel-body');
    this.msgEl = el('div', 'panel-msg');
    this.root.append(head, this.body, this.msgEl);
    this.unsubs = [];
    this.dirty = false;
    this.raf = 0;
    this.state = '';
    this.build();
    if (def.scenario) {
      this.sub = ctx.live.subscribe(def.scenario, this.filterFor(ctx.filter), def.sub_id ?? null);
      this.root.dataset.filters = arr(def.filters).join(',');
      this.markScope(ctx.filter, this.filterFor(ctx.filter));
      this.unsubs.push(this.sub.on((_, kind) => { if (kind !== 'heartbeat') this.schedule(); else this.tick(); }));
      if (this.sub.hasData()) this.schedule();
    }
    this.tick();
  }

  title() {
    if (this.def.title || this.def.title_en) return pick(this.def.title, this.def.title_en);
    const s = this.def.scenario && this.ctx.scenarios.get(this.def.scenario);
    return s ? splitTitle(s.title) : this.def.scenario || t('alerts');
  }
  /** The tablet's filter, restricted to the columns this panel says it can be filtered by (`filters`). */
  filterFor(filter) {
    if (!filter) return null;
    const allowed = arr(this.def.filters);
    const f = {};
    for (const [k, v] of Object.entries(filter)) if (allowed.includes(k) && v != null && v !== '') f[k] = v;
    return Object.keys(f).length ? f : null;
  }
  /** `needs_filter = true`: the panel shows a per-commune (or per-agency) result, nothing until one is chosen. */
  waitsForFilter() {
    const f = this.ctx.filter || {};
    return !!this.def.needs_filter && !arr(this.def.filters).some((c) => f[c]);
  }
  setFilter(filter) {
    if (!this.def.scenario) return;
    const f = this.filterFor(filter);
    this.ctx.live.subscribe(this.def.scenario, f, this.def.sub_id ?? null);
    this.markScope(filter, f);
    this.schedule();
  }
  /** With a filter chosen, a panel that cannot take it says it shows the whole province. */
  markScope(filter, applied) {
    const active = filter && Object.values(filter).some((v) => v != null && v !== '');
    this.root.dataset.scope = !active ? '' : applied ? 'filtered' : 'province';
    this.titleEl.dataset.scope = active && !applied ? t('province_wide') : '';
  }

  schedule() {
    this.dirty = true;
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      if (!this.dirty) return;
      this.dirty = false;
      const waiting = this.waitsForFilter();
      this.root.dataset.needsFilter = waiting ? '1' : '';
      if (!waiting) try { this.render(); } catch (e) { console.error('render', this.def.scenario, e); }
      this.tick();
    });
  }

  /** Called every second and after each update: freshness class and "as of". */
  tick(now = Date.now()) {
    const live = this.ctx.live;
    let state = 'ok';
    let msg = '';
    const sub = this.sub;
    const info = this.def.scenario ? this.ctx.scenarios.get(this.def.scenario) : null;
    if (sub) {
      if (sub.error && (sub.error.code === 'unknown_scenario' || sub.error.code === 'scenario_removed')) {
        state = 'missing';
        msg = t('no_scenario', { s: this.def.scenario });
      } else if (live.state !== 'open') {
        state = 'down';
      } else if (sub.error) {
        state = 'stale';
        msg = sub.error.message || sub.error.code;
      } else if (info && info.status === 'error') {
        state = 'stale';
        msg = `${t('scenario_error')}: ${info.last_error || ''}`;
      } else if (!sub.hasData()) {
        state = 'waiting';
        msg = t('waiting');
      } else if (sub.age(now) > staleAfter(info?.every_ms)) {
        state = 'stale';
      } else if (this.ctx.stalled && this.ctx.stalled(this.def.scenario, now)) {
        state = 'stale'; // heartbeats arrive, but the engine has not evaluated this scenario for a while
      }
      if ((state === 'ok' || state === 'stale') && !msg && sub.rows.size === 0 && this.type !== 'table') {
        msg = t('nothing'); // an empty result is news too (e.g. no station down): said, not left blank
        this.root.dataset.empty = '1';
      } else if (this.root.dataset.empty) {
        delete this.root.dataset.empty;
      }
      if (!sub.hasData() && state === 'down') msg = t('disconnected');
      this.asOfEl.textContent = sub.asOf ? t('as_of', { t: fmtTime(sub.asOf) }) : '';
      this.root.dataset.hasData = sub.hasData() && sub.rows.size > 0 ? '1' : '0';
    } else {
      state = live.state === 'open' ? 'ok' : 'down';
    }
    if (this.waitsForFilter()) msg = t('choose_filter');
    if (state !== this.state) {
      this.state = state;
      this.root.dataset.state = state;
    }
    if (this.msgEl.textContent !== msg) this.msgEl.textContent = msg;
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    for (const u of this.unsubs) u();
    this.unsubs = [];
    if (this.chart) { this.chart.dispose(); this.chart = null; }
    this.root.remove();
  }

  resize() { if (this.chart) this.chart.resize(); }

  // --- helpers for subclasses
  colIdx(name, fallbackNumeric = false) {
    const sub = this.sub;
    let i = name ? sub.col(name) : -1;
    if (i < 0 && fallbackNumeric && sub.columns) {
      i = sub.columns.findIndex((c) => /int|float|decimal/.test(c.type));
    }
    return i;
  }
  colType(i) { return this.sub.columns?.[i]?.type; }
  labelOf(list, listEn, i, fallback) {
    const l = pick(arr(list)[i], arr(listEn)[i]);
    return l || fallback;
  }
  build() {}
  render() {}
}

// ---------------------------------------------------------------- KPI: a big number, its change, a sparkline
class KpiPanel extends Panel {
  build() {
    this.valueEl = el('div', 'kpi-value', '—');
    this.unitEl = el('span', 'kpi-unit', pick(this.def.unit, this.def.unit_en) || '');
    const row = el('div', 'kpi-row');
    row.append(this.valueEl, this.unitEl);
    this.changeEl = el('div', 'kpi-change');
    this.spark = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.spark.setAttribute('class', 'kpi-spark');
    this.spark.setAttribute('viewBox', '0 0 100 30');
    this.spark.setAttribute('preserveAspectRatio', 'none');
    this.area = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    this.area.setAttribute('class', 'spark-area');
    this.line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    this.line.setAttribute('class', 'spark-line');
    this.spark.append(this.area, this.line);
    this.targetEl = el('div', 'kpi-target');
    this.body.append(row, this.targetEl, this.changeEl, this.spark);
    this.history = []; // [{t, v}], bounded to KPI_HISTORY
  }
  render() {
    const i = this.colIdx(this.def.value, true);
    const row = this.sub.list()[0];
    const v = row && i >= 0 ? num(row[i]) : null;
    this.valueEl.textContent = fmtValue(v, this.def.format, this.colType(i));
    this.root.dataset.value = v == null ? '' : String(v);
    this.renderTarget(row, v);
    if (v == null) return;
    if (this.def.change) { this.renderChange(row); return; }
    const now = Date.now();
    const last = this.history[this.history.length - 1];
    if (!last || now - last.t >= KPI_SAMPLE_MS) this.history.push({ t: now, v });
    else last.v = v;
    if (this.history.length > KPI_HISTORY) this.history.splice(0, this.history.length - KPI_HISTORY);
    // Change: against the oldest sample kept (up to 15 minutes ago).
    const first = this.history[0];
    const minutes = Math.round((now - first.t) / 60000);
    if (this.history.length > 1 && minutes >= 1) {
      const d = v - first.v;
      const good = this.def.higher_is_better === false ? d < 0 : d > 0;
      this.changeEl.className = `kpi-change ${d === 0 ? 'flat' : good ? 'up' : 'down'}`;
      this.changeEl.textContent = `${d > 0 ? '▲' : d < 0 ? '▼' : '■'} ${fmtDelta(d, this.def.format)} ${t('change', { m: minutes })}`;
    } else {
      this.changeEl.className = 'kpi-change flat';
      this.changeEl.textContent = '';
    }
    this.drawSpark();
  }
  /** `target`: the column holding this KPI's target; the tile says whether it is met, or by how much not. */
  renderTarget(row, v) {
    const ti = this.def.target ? this.colIdx(this.def.target) : -1;
    const target = row && ti >= 0 ? num(row[ti]) : null;
    if (target == null || v == null) { this.targetEl.textContent = ''; return; }
    const met = this.def.higher_is_better === false ? v <= target : v >= target;
    this.targetEl.className = `kpi-target ${met ? 'met' : 'unmet'}`;
    const gap = met ? '✓' : `${t('target_gap')} ${fmtDelta(Math.abs(v - target), this.def.format).slice(1)}`;
    this.targetEl.textContent = `${t('target')} ${fmtValue(target, this.def.format)} · ${gap}`;
  }
  /** `change`: a column holding the change against the previous month (in the KPI's unit) replaces the sparkline's. */
  renderChange(row) {
    const d = num(row[this.colIdx(this.def.change)]);
    if (d == null || !isFinite(d)) { this.changeEl.className = 'kpi-change flat'; this.changeEl.textContent = ''; return; }
    const good = this.def.higher_is_better === false ? d < 0 : d > 0;
    this.changeEl.className = `kpi-change ${d === 0 ? 'flat' : good ? 'up' : 'down'}`;
    this.changeEl.textContent = `${d > 0 ? '▲' : d < 0 ? '▼' : '■'} ${fmtDelta(d, this.def.format)} ${t('vs_last_month')}`;
    this.spark.style.display = 'none';
  }
  drawSpark() {
    const h = this.history;
    if (h.length < 2) { this.line.setAttribute('points', ''); this.area.setAttribute('d', ''); return; }
    let lo = Infinity, hi = -Infinity;
    for (const p of h) { lo = Math.min(lo, p.v); hi = Math.max(hi, p.v); }
    const span = hi - lo || 1;
    const t0 = h[0].t, tspan = h[h.length - 1].t - t0 || 1;
    const pts = h.map((p) => `${(((p.t - t0) / tspan) * 100).toFixed(2)},${(28 - ((p.v - lo) / span) * 26).toFixed(2)}`);
    this.line.setAttribute('points', pts.join(' '));
    this.area.setAttribute('d', `M0,30 L${pts.join(' L')} L100,30 Z`);
  }
}

// ---------------------------------------------------------------- time series (ECharts line)
class TimeseriesPanel extends Panel {
  build() {
    this.chartEl = el('div', 'chart');
    this.body.append(this.chartEl);
    this.chart = echarts.init(this.chartEl, null, { renderer: 'canvas', devicePixelRatio: this.ctx.pixelRatio || window.devicePixelRatio || 1 });
    this.seriesCount = 0;
  }
  render() {
    const sub = this.sub;
    const xi = this.colIdx(this.def.x || sub.columns?.find((c) => c.type.startsWith('timestamp'))?.name);
    let ys = arr(this.def.y);
    if (!ys.length) ys = sub.columns.filter((c, i) => i !== xi && /int|float/.test(c.type)).map((c) => c.name);
    const yi = ys.map((y) => sub.col(y));
    let rows = sub.list().slice().sort((a, b) => String(a[xi]).localeCompare(String(b[xi])));
    const isTs = (this.colType(xi) || '').startsWith('timestamp');
    if (isTs && !this.def.partial && rows.length > 2) {
      // The bucket still filling (e.g. the current minute) would look like a drop: left out unless `partial = true`.
      const last = Date.parse(rows[rows.length - 1][xi]);
      const width = last - Date.parse(rows[rows.length - 2][xi]);
      if (width > 0 && last + width > Date.now()) rows = rows.slice(0, -1);
    }
    const maxPts = Number(this.def.max_points) || SERIES_MAX_POINTS;
    const shown = rows.length > maxPts ? rows.slice(rows.length - maxPts) : rows;
    const isTime = (this.colType(xi) || '').startsWith('timestamp');
    const series = ys.map((y, k) => ({
      type: 'line',
      name: this.labelOf(this.def.y_labels, this.def.y_labels_en, k, y),
      showSymbol: false,
      smooth: 0.2,
      lineStyle: { width: 3 },
      areaStyle: { opacity: k === 0 ? 0.18 : 0.1 },
      data: shown.map((r) => [isTime ? Date.parse(r[xi]) : r[xi], num(r[yi[k]])]),
    }));
    const opt = {
      animation: false,
      color: PALETTE,
      grid: { left: 70, right: 24, top: 44, bottom: 36 },
      legend: { top: 0, right: 8, textStyle: { color: '#c7d2e6', fontSize: 18 }, itemWidth: 22, itemHeight: 12 },
      xAxis: {
        type: isTime ? 'time' : 'category',
        axisLine: { lineStyle: { color: '#3a4a68' } },
        axisLabel: { color: '#9fb0cc', fontSize: 16, hideOverlap: true, formatter: isTime ? (v) => (this.def.x_format === 'month' ? fmtMonth(v) : fmtHM(v)) : undefined },
        splitLine: { show: false },
      },
      yAxis: {
        type: 'value',
        axisLabel: { color: '#9fb0cc', fontSize: 16, formatter: (v) => fmtValue(v, this.def.format === 'percent' ? 'compact' : this.def.format) },
        splitLine: { lineStyle: { color: '#1c2840' } },
      },
      series,
    };
    // A chart made before its panel was laid out (the tablet builds panels detached) has no size yet.
    if (!this.chart.getWidth()) this.chart.resize();
    // Same series count: merge (the chart instance and its series are reused); otherwise replace.
    this.chart.setOption(opt, { notMerge: series.length !== this.seriesCount, lazyUpdate: true });
    this.seriesCount = series.length;
    this.root.dataset.value = String(shown.length ? shown[shown.length - 1][yi[0]] : '');
  }
}

// ---------------------------------------------------------------- ranking: horizontal bars (HTML, crisp on a wall)
class RankingPanel extends Panel {
  build() {
    this.list = el('ol', 'rank-list');
    this.body.append(this.list);
    this.items = new Map(); // key -> li (reused)
  }
  render() {
    const sub = this.sub;
    const vi = this.colIdx(this.def.value, true);
    const li = this.colIdx(this.def.label) >= 0 ? this.colIdx(this.def.label) : (sub.keyIdx[0] ?? 0);
    const limit = Number(this.def.limit) || 10;
    const dir = this.def.order === 'asc' ? -1 : 1; // `order = "asc"`: the lowest first (e.g. the least punctual)
    const rows = sub.list().filter((r) => r[vi] != null).sort((a, b) => dir * (num(b[vi]) - num(a[vi])) || String(a[li]).localeCompare(String(b[li])));
    const top = rows.slice(0, limit);
    const max = this.def.format === 'percent' ? 100 : Math.max(1, ...top.map((r) => num(r[vi])));
    const seen = new Set();
    top.forEach((r, n) => {
      const k = sub.keyIdx.length ? JSON.stringify(sub.keyIdx.map((i) => r[i])) : String(r[li]);
      seen.add(k);
      let item = this.items.get(k);
      if (!item) {
        item = el('li', 'rank-item');
        item.innerHTML = '<span class="rank-n"></span><span class="rank-label"></span><span class="rank-value"></span><span class="rank-bar"><i></i></span>';
        this.items.set(k, item);
      }
      item.dataset.key = sub.keyIdx.length ? sub.keyIdx.map((i) => r[i]).join('|') : String(r[li]);
      item.children[0].textContent = String(n + 1);
      item.children[1].textContent = String(nameOf(this.def, r[li]) ?? '—');
      item.children[2].textContent = fmtValue(num(r[vi]), this.def.format);
      item.children[3].firstChild.style.width = `${Math.max(1, (num(r[vi]) / max) * 100).toFixed(1)}%`;
      if (this.list.children[n] !== item) this.list.insertBefore(item, this.list.children[n] || null);
    });
    for (const [k, item] of this.items) if (!seen.has(k)) { item.remove(); this.items.delete(k); }
    this.root.dataset.rows = String(top.length);
    this.root.dataset.value = top.length ? String(top[0][vi]) : '';
  }
}

// ---------------------------------------------------------------- table
class TablePanel extends Panel {
  build() {
    this.table = el('table', 'data-table');
    this.thead = el('thead');
    this.tbody = el('tbody');
    this.table.append(this.thead, this.tbody);
    this.more = el('div', 'table-more');
    this.body.append(this.table, this.more);
    this.headerKey = '';
  }
  render() {
    const sub = this.sub;
    const cols = arr(this.def.columns).length ? arr(this.def.columns) : sub.columns.map((c) => c.name);
    const idx = cols.map((c) => sub.col(c));
    const hk = cols.join(',');
    if (hk !== this.headerKey) {
      this.headerKey = hk;
      const tr = el('tr');
      cols.forEach((c, k) => {
        const th = el('th', null, this.labelOf(this.def.labels, this.def.labels_en, k, c));
        if (/int|float/.test(this.colType(idx[k]) || '')) th.className = 'num';
        tr.append(th);
      });
      this.thead.replaceChildren(tr);
    }
    const limit = Number(this.def.limit) || 8;
    let rows = sub.list();
    if (this.def.sort) {
      const si = sub.col(String(this.def.sort).replace(/^-/, ''));
      const dir = String(this.def.sort).startsWith('-') ? -1 : 1;
      if (si >= 0) rows = rows.slice().sort((a, b) => (a[si] > b[si] ? dir : a[si] < b[si] ? -dir : 0));
    }
    const shown = rows.slice(0, limit);
    const frag = document.createDocumentFragment();
    for (const r of shown) {
      const tr = el('tr');
      if (sub.keyIdx.length) tr.dataset.key = sub.keyIdx.map((i) => r[i]).join('|');
      idx.forEach((i, k) => {
        const type = this.colType(i);
        const v = i >= 0 ? r[i] : null;
        const td = el('td', /int|float/.test(type || '') ? 'num' : null,
          type && type.startsWith('timestamp') ? fmtTime(v) : fmtValue(nameOf(this.def, v), arr(this.def.formats)[k], type));
        tr.append(td);
      });
      frag.append(tr);
    }
    this.tbody.replaceChildren(frag);
    this.more.textContent = rows.length > limit ? `+${rows.length - limit} · ${t('rows', { n: rows.length })}` : '';
    this.root.dataset.rows = String(rows.length);
    if (!rows.length) this.more.textContent = t('no_data');
  }
}

// ---------------------------------------------------------------- alerts list (with acknowledgement)
class AlertsPanel extends Panel {
  build() {
    this.list = el('ul', 'alert-list');
    this.body.append(this.list);
    this.unsubs.push(this.ctx.alerts.on(() => this.schedule()));
    this.schedule();
  }
  render() {
    const alerts = this.ctx.alerts.list();
    const limit = Number(this.def.limit) || 12;
    const frag = document.createDocumentFragment();
    for (const a of alerts.slice(0, limit)) frag.append(alertItem(a, this.ctx, true));
    if (!alerts.length) frag.append(el('li', 'alert-none', t('no_alerts')));
    this.list.replaceChildren(frag);
    this.root.dataset.rows = String(alerts.length);
    this.root.dataset.hasData = '1';
  }
}

export function alertText(a, ctx) {
  const s = ctx.scenarios.get(a.scenario);
  const title = s ? splitTitle(s.title) : a.scenario;
  const key = (a.key || []).join(' · ');
  return { title, key, when: s?.alert?.when || '' };
}

export function alertItem(a, ctx, withAck) {
  const li = el('li', `alert-item sev-${a.severity} ${a.acked_by ? 'acked' : ''}`);
  li.dataset.alert = `${a.scenario}|${(a.key || []).join('|')}`;
  const { title, key, when } = alertText(a, ctx);
  li.append(el('span', 'sev-chip', t(`severity_${a.severity}`)));
  const main = el('span', 'alert-main');
  main.append(el('b', null, title), el('span', 'alert-key', key ? ` — ${key}` : ''));
  if (when) main.append(el('span', 'alert-when', ` (${when})`));
  li.append(main, el('span', 'alert-at', fmtTime(a.at)));
  if (a.acked_by) {
    li.append(el('span', 'alert-acked', '✓ ' + t('acked_by', { who: a.acked_by, t: fmtTime(a.acked_at) })));
  } else if (withAck) {
    const b = el('button', 'ack-btn', t('ack'));
    b.type = 'button';
    b.onclick = () => { b.disabled = true; ctx.alerts.ack(a).catch((e) => { b.disabled = false; b.title = e.message; }); };
    li.append(b);
  }
  return li;
}

// ---------------------------------------------------------------- map of communes and wards
// With the communes' boundaries (frontend/public/geo/communes.geojson, generated by tools/gen_reference.py):
// a filled map, each commune coloured by its value, labels of the largest that do not overlap. Without
// them (or for rows that name no known commune): points on lon/lat, as before.
const boundaryCache = new Map();
function loadBoundaries(url) {
  if (!boundaryCache.has(url)) {
    boundaryCache.set(url, fetch(url).then((r) => (r.ok ? r.json() : null)).then((g) => {
      if (!g || !Array.isArray(g.features) || !g.features.length) return null;
      const name = `ioc:${url}`;
      echarts.registerMap(name, g);
      const byCode = new Map();
      const byName = new Map();
      const rings = [];
      const centres = new Map();
      for (const f of g.features) {
        byCode.set(String(f.properties.code), f.properties.name);
        byName.set(String(f.properties.name), f.properties.name);
        if (f.geometry?.type !== 'Polygon') continue;
        const ring = f.geometry.coordinates[0];
        rings.push([f.properties.name, ring]);
        const pts = ring.slice(0, -1);
        centres.set(f.properties.name, [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length]);
      }
      return { name, byCode, byName, rings, centres };
    }).catch(() => null));
  }
  return boundaryCache.get(url);
}

/** The name of the area whose outline holds the point [lon, lat] (ray casting), or null. */
function areaAt(rings, [x, y]) {
  for (const [name, ring] of rings) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    if (inside) return name;
  }
  return null;
}

const geoCache = new Map();
function loadGeo(table, key) {
  const id = `${table}:${key}`;
  if (!geoCache.has(id)) {
    const safe = (s) => String(s).replace(/[^A-Za-z0-9_]/g, '');
    geoCache.set(id, api('/api/v1/query', {
      method: 'POST',
      body: { sql: `SELECT ${safe(key)}, lat, lon FROM ${safe(table)}`, limit: 10000 },
    }).then((r) => new Map(r.rows.map((row) => [String(row[0]), [num(row[2]), num(row[1])]])))
      .catch(() => new Map()));
  }
  return geoCache.get(id);
}

class MapPanel extends Panel {
  build() {
    this.chartEl = el('div', 'chart');
    this.legend = el('div', 'map-legend');
    this.body.append(this.chartEl, this.legend);
    this.chart = echarts.init(this.chartEl, null, { renderer: 'canvas', devicePixelRatio: this.ctx.pixelRatio || window.devicePixelRatio || 1 });
    this.geo = null;
    this.bounds = null;
    this.mode = '';
    const url = this.def.boundaries === undefined ? '/geo/communes.geojson' : this.def.boundaries;
    if (url) loadBoundaries(url).then((b) => { this.bounds = b; this.schedule(); });
    if (this.def.geo) {
      loadGeo(this.def.geo, this.def.geo_key || 'commune_code').then((g) => { this.geo = g; this.schedule(); });
    }
  }
  /** Switches between the filled map and points (a new option set, not a merge). */
  setMode(mode) {
    if (this.mode !== mode) this.chart.clear();
    this.mode = mode;
    this.root.dataset.mode = mode;
  }
  color(v, max) {
    const f = Math.min(1, (v || 0) / max);
    return f > 0.75 ? '#f97316' : f > 0.5 ? '#fbbf24' : f > 0.25 ? '#34d399' : '#38bdf8';
  }
  /** The filled map; false when no row names a commune of the boundaries. */
  renderAreas(vi, li) {
    const sub = this.sub;
    const b = this.bounds;
    const gk = sub.col(this.def.geo_key || 'commune_code');
    const lat = sub.col(this.def.lat || 'lat');
    const lon = sub.col(this.def.lon || 'lon');
    const data = [];
    for (const r of sub.list()) {
      // By code, by name, else the area that holds the row's point.
      let name = (gk >= 0 && b.byCode.get(String(r[gk]))) || (li >= 0 && b.byName.get(String(r[li])));
      if (!name) {
        const ll = lat >= 0 && lon >= 0 ? [num(r[lon]), num(r[lat])] : this.geo && gk >= 0 ? this.geo.get(String(r[gk])) : null;
        if (ll && ll[0] != null && ll[1] != null) name = areaAt(b.rings, ll);
      }
      if (name) data.push({ name, value: num(r[vi]), label: li >= 0 ? String(nameOf(this.def, r[li])) : name });
    }
    if (!data.length) return false;
    this.setMode('areas');
    const max = Math.max(1, ...data.map((d) => d.value || 0));
    const top = new Set(data.slice().sort((a, c) => c.value - a.value).slice(0, Number(this.def.labels_top) || 5).map((d) => d.name));
    // Areas coloured by value; labels of the largest ones as a scatter over the map, whose label layout
    // hides a label that would overlap one already placed (largest first).
    const labelled = data.filter((d) => top.has(d.name)).sort((a, c) => c.value - a.value);
    this.chart.setOption({
      animation: false,
      geo: {
        map: b.name, roam: false, silent: true,
        // A degree of longitude is cos(lat) of a degree of latitude (about 0.93 in the demo province).
        aspectScale: 0.93, layoutCenter: ['50%', '50%'], layoutSize: '96%',
        itemStyle: { areaColor: '#111b2e', borderColor: '#2a3a5a', borderWidth: 1 },
        label: { show: false },
        regions: data.map((d) => ({ name: d.name, itemStyle: { areaColor: this.color(d.value, max), opacity: 0.35 + 0.6 * Math.min(1, (d.value || 0) / max) } })),
      },
      series: [{
        type: 'scatter', coordinateSystem: 'geo', silent: true, symbolSize: 5, itemStyle: { color: '#e8eef9' },
        data: labelled.map((d) => ({ name: d.label, value: [...(b.centres.get(d.name) || [0, 0]), d.value] })),
        labelLayout: { hideOverlap: true },
        label: {
          show: true, position: 'right', color: '#e8eef9', fontSize: 15, fontWeight: 600, textBorderColor: '#050a14', textBorderWidth: 3,
          formatter: (p) => `${p.name} ${fmtValue(p.value[2], this.def.format)}`,
        },
      }],
    }, { lazyUpdate: true });
    const total = data.reduce((s, d) => s + (d.value || 0), 0);
    this.legend.textContent = `${t('total')}: ${fmtValue(total, this.def.format)} · ${data.length} ${getLang() === 'en' ? 'communes/wards' : 'xã/phường'}`;
    this.root.dataset.rows = String(data.length);
    this.root.dataset.value = String(total);
    return true;
  }
  render() {
    const sub = this.sub;
    const vi = this.colIdx(this.def.value, true);
    const li = this.colIdx(this.def.label);
    if (this.bounds && this.renderAreas(vi, li)) return;
    this.setMode('points');
    const lat = sub.col(this.def.lat || 'lat');
    const lon = sub.col(this.def.lon || 'lon');
    const gk = sub.col(this.def.geo_key || 'commune_code');
    const pts = [];
    for (const r of sub.list()) {
      let ll = lat >= 0 && lon >= 0 ? [num(r[lon]), num(r[lat])] : this.geo && gk >= 0 ? this.geo.get(String(r[gk])) : null;
      if (!ll || ll[0] == null || ll[1] == null) continue;
      pts.push({ value: [ll[0], ll[1], num(r[vi])], name: li >= 0 ? String(nameOf(this.def, r[li])) : '' });
    }
    const all = this.geo ? [...this.geo.values()] : [];
    const xs = pts.map((p) => p.value[0]).concat(all.map((p) => p[0]));
    const ys = pts.map((p) => p.value[1]).concat(all.map((p) => p[1]));
    if (!xs.length) { this.root.dataset.rows = '0'; return; }
    let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    // Keep the map's proportions: a degree of longitude is cos(lat) of a degree of latitude.
    const w = this.chart.getWidth() - 20, h = this.chart.getHeight() - 20;
    const k = Math.cos((((y0 + y1) / 2) * Math.PI) / 180);
    let gw = (x1 - x0) * k || 0.01, gh = y1 - y0 || 0.01;
    const pad = 0.08;
    gw *= 1 + pad * 2; gh *= 1 + pad * 2;
    const scale = Math.min(w / gw, h / gh);
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const hw = w / scale / k / 2, hh = h / scale / 2;
    const max = Math.max(1, ...pts.map((p) => p.value[2] || 0));
    const top = new Set(pts.slice().sort((a, b) => b.value[2] - a.value[2]).slice(0, Number(this.def.labels_top) || 5).map((p) => p.name));
    const color = (v) => {
      const f = Math.min(1, (v || 0) / max);
      return f > 0.75 ? '#f97316' : f > 0.5 ? '#fbbf24' : f > 0.25 ? '#34d399' : '#38bdf8';
    };
    this.chart.setOption({
      animation: false,
      grid: { left: 10, right: 10, top: 10, bottom: 10 },
      xAxis: { type: 'value', min: cx - hw, max: cx + hw, show: false },
      yAxis: { type: 'value', min: cy - hh, max: cy + hh, show: false },
      series: [
        { type: 'scatter', silent: true, symbolSize: 6, itemStyle: { color: '#2a3a5a' }, data: all, z: 1 },
        {
          type: 'scatter', z: 2,
          data: pts,
          symbolSize: (v) => 10 + 34 * Math.sqrt(Math.max(0, v[2] || 0) / max),
          itemStyle: { color: (p) => color(p.value[2]), opacity: 0.85, borderColor: '#0b1220', borderWidth: 1 },
          labelLayout: { hideOverlap: true },
          label: {
            show: true, position: 'right', color: '#e8eef9', fontSize: 16, fontWeight: 600,
            formatter: (p) => (top.has(p.name) ? `${p.name} ${fmtValue(p.value[2], this.def.format)}` : ''),
            textBorderColor: '#050a14', textBorderWidth: 3,
          },
        },
      ],
    }, { lazyUpdate: true });
    const total = pts.reduce((s, p) => s + (p.value[2] || 0), 0);
    this.legend.textContent = `${t('total')}: ${fmtValue(total, this.def.format)} · ${pts.length} ${getLang() === 'en' ? 'communes/wards' : 'xã/phường'}`;
    this.root.dataset.rows = String(pts.length);
    this.root.dataset.value = String(total);
  }
}

const TYPES = { kpi: KpiPanel, timeseries: TimeseriesPanel, ranking: RankingPanel, table: TablePanel, alerts: AlertsPanel, map: MapPanel };

export function makePanel(def, ctx) {
  const C = TYPES[def.type] || TablePanel;
  return new C(def, ctx);
}
export { fmtDateTime };
