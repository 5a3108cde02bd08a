// ioc-stream wall display (first page).
//
// Plain ES module, no dependencies, no build step. The file has two halves:
//   1. pure functions (exported): protocol state (snapshot/delta, seq gaps, resume), column typing,
//      ordering, formatting, chart geometry. They never touch the DOM, so node can import and test them.
//   2. the browser app: WebSocket client, panels and renderers. It only starts when a `document` exists.
// Contract: /work/shared/PROTOCOL.md (GET /api/v1/scenarios, WebSocket /ws).

export const TZ = 'Asia/Ho_Chi_Minh';
export const VIEWS = ['kpi', 'ranking', 'timeseries', 'table'];
export const QUIET_AFTER_MS = 12000;   // heartbeat is every 5 s: two missed ones mean "quiet"
export const DEAD_AFTER_MS = 30000;    // silent this long while "open": assume a half-open socket, reconnect
export const MAX_TABLE_ROWS = 15;
export const MAX_RANKING_ROWS = 10;
export const MAX_SERIES = 3;

// ---------------------------------------------------------------------------------------------------
// UI strings and column labels
// ---------------------------------------------------------------------------------------------------

export const STRINGS = {
  vi: {
    title: 'Trung tâm Điều hành thông minh — IOC',
    online: 'Trực tuyến',
    quiet: 'Tín hiệu chậm',
    down: 'Mất kết nối',
    connecting: 'Đang kết nối…',
    retryIn: (s) => `thử lại sau ${s} giây`,
    reconnecting: 'đang kết nối lại…',
    updated: 'cập nhật',
    waiting: 'Đang chờ dữ liệu…',
    empty: 'Không có dữ liệu',
    more: (n) => `(+${n} dòng nữa)`,
    error: 'Lỗi',
    resyncing: 'Đang đồng bộ lại…',
    noScenarios: 'Chưa có kịch bản nào',
    loadFailed: 'Không tải được danh sách kịch bản, đang thử lại…',
    yes: 'Có',
    no: 'Không',
    max: 'max',
  },
  en: {
    title: 'Intelligent Operations Center — IOC',
    online: 'Online',
    quiet: 'Quiet',
    down: 'Disconnected',
    connecting: 'Connecting…',
    retryIn: (s) => `retry in ${s} s`,
    reconnecting: 'reconnecting…',
    updated: 'updated',
    waiting: 'Waiting for data…',
    empty: 'No data',
    more: (n) => `(+${n} more)`,
    error: 'Error',
    resyncing: 'Resynchronising…',
    noScenarios: 'No scenarios yet',
    loadFailed: 'Could not load the scenario list, retrying…',
    yes: 'Yes',
    no: 'No',
    max: 'max',
  },
};

// Names the demo scenarios use; anything else falls back to the humanised column name.
export const LABELS = {
  vi: {
    received: 'Tiếp nhận',
    completed: 'Đã giải quyết',
    on_time_pct: 'Đúng hạn',
    full_online_pct: 'Toàn trình',
    digitised_pct: 'Số hóa',
    overdue: 'Quá hạn',
    cashless_pct: 'Không dùng tiền mặt',
    total: 'Tổng',
    activations: 'Kích hoạt',
    open: 'Đang mở',
    breached: 'Quá hạn SLA',
    down: 'Trạm mất kết nối',
  },
  en: {
    received: 'Received',
    completed: 'Completed',
    on_time_pct: 'On time',
    full_online_pct: 'Full online',
    digitised_pct: 'Digitised',
    overdue: 'Overdue',
    cashless_pct: 'Cashless',
    total: 'Total',
    activations: 'Activations',
    open: 'Open',
    breached: 'SLA breached',
    down: 'Stations down',
  },
};

export function isPctColumn(name) {
  return /_pct$/i.test(String(name));
}

/** "full_online_pct" -> "Full online" (the % sign goes on the value, not the label). */
export function humanise(name) {
  let s = String(name);
  if (isPctColumn(s) && s.length > 4) s = s.slice(0, -4);
  s = s.replace(/_+/g, ' ').trim();
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : String(name);
}

export function labelFor(name, lang = 'vi') {
  const map = LABELS[lang] || LABELS.vi;
  const key = String(name).toLowerCase();
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : humanise(name);
}

// ---------------------------------------------------------------------------------------------------
// Formatting (vi-VN numbers, Asia/Ho_Chi_Minh times)
// ---------------------------------------------------------------------------------------------------

const NF_INT = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });
const NF_DEC = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });
const NF_PCT = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const NF_COMPACT = new Intl.NumberFormat('vi-VN', { notation: 'compact', maximumFractionDigits: 1 });
// formatToParts + h23 so the result is always HH:MM:SS whatever the locale data says.
const DTF_HMS = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

function parts(fmt, ms) {
  const p = {};
  for (const x of fmt.formatToParts(ms)) p[x.type] = x.value;
  return p;
}

export function formatHMS(ms) {
  if (!Number.isFinite(ms)) return '--:--:--';
  const p = parts(DTF_HMS, ms);
  return `${p.hour}:${p.minute}:${p.second}`;
}

export function formatHM(ms) {
  if (!Number.isFinite(ms)) return '--:--';
  const p = parts(DTF_HMS, ms);
  return `${p.hour}:${p.minute}`;
}

export function formatNumber(v, colName = '') {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (isPctColumn(colName)) return NF_PCT.format(v) + '%';
  return Number.isInteger(v) ? NF_INT.format(v) : NF_DEC.format(v);
}

/** Short number for chart axes: compact only when it would otherwise be long. */
export function formatAxisNumber(v) {
  if (!Number.isFinite(v)) return '';
  return Math.abs(v) >= 1e6 ? NF_COMPACT.format(v) : NF_DEC.format(v);
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function toNumber(v) {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  // Decimal columns may arrive as JSON strings; accept them when they are plain numbers.
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function toTimeMs(v) {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN; // epoch ms
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

/** One cell as text, by column kind (see columnKinds). */
export function formatCell(v, kind, colName, lang = 'vi') {
  if (v === null || v === undefined) return '—';
  const t = STRINGS[lang] || STRINGS.vi;
  switch (kind) {
    case 'number': {
      const n = toNumber(v);
      return n === null ? String(v) : formatNumber(n, colName);
    }
    case 'time':
      if (typeof v === 'string' && DATE_ONLY_RE.test(v)) return v.split('-').reverse().join('/');
      return Number.isFinite(toTimeMs(v)) ? formatHMS(toTimeMs(v)) : String(v);
    case 'bool':
      return v === true ? t.yes : v === false ? t.no : String(v);
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

// ---------------------------------------------------------------------------------------------------
// Column typing and display order
// ---------------------------------------------------------------------------------------------------

/**
 * 'number' | 'time' | 'bool' | 'text' per column. The declared type decides (protocol names like int64
 * or Arrow names like Float64 / Timestamp(Millisecond, None)); an unknown type falls back to the first
 * non-null value.
 */
export function columnKinds(columns, rows) {
  return columns.map((c, i) => {
    const t = String(c.type || '').toLowerCase();
    if (/^(timestamp|date|time)/.test(t)) return 'time';
    if (/^(u?int|float|double|decimal|numeric|real|bigint|smallint|tinyint)/.test(t)) return 'number';
    if (/^bool/.test(t)) return 'bool';
    if (/^(utf8|largeutf8|string|text|varchar|char|dictionary)/.test(t)) return 'text';
    let sample = null;
    for (const r of rows) {
      if (r[i] !== null && r[i] !== undefined) { sample = r[i]; break; }
    }
    if (typeof sample === 'number') return 'number';
    if (typeof sample === 'boolean') return 'bool';
    if (typeof sample === 'string' && ISO_RE.test(sample)) return 'time';
    return 'text';
  });
}

/** Ranking: label = a `*_name` column, else the first text column; value = the last numeric column. */
export function rankingSpec(columns, kinds) {
  let valueIdx = -1;
  for (let i = kinds.length - 1; i >= 0; i--) if (kinds[i] === 'number') { valueIdx = i; break; }
  let labelIdx = columns.findIndex((c) => /(^|_)name$/i.test(c.name));
  if (labelIdx < 0) labelIdx = kinds.findIndex((k) => k === 'text');
  if (labelIdx < 0) labelIdx = kinds.findIndex((k, i) => i !== valueIdx);
  return { labelIdx, valueIdx };
}

/** Timeseries: x = the first time column, y = up to MAX_SERIES numeric columns. */
export function timeseriesSpec(columns, kinds) {
  const timeIdx = kinds.indexOf('time');
  const valueIdxs = [];
  kinds.forEach((k, i) => { if (k === 'number' && valueIdxs.length < MAX_SERIES) valueIdxs.push(i); });
  return { timeIdx, valueIdxs };
}

/**
 * Rows in display order. Default: the Map's order (snapshot order, new keys appended, an upsert keeps
 * its place). Rankings sort by the value they draw, descending (ties by label so rows do not jump);
 * time series sort by time ascending.
 */
export function orderedRows(st, view, kinds = columnKinds(st.columns, [...st.rows.values()])) {
  const rows = [...st.rows.values()];
  if (view === 'ranking') {
    const { labelIdx, valueIdx } = rankingSpec(st.columns, kinds);
    if (valueIdx >= 0) {
      rows.sort((a, b) => {
        const va = toNumber(a[valueIdx]);
        const vb = toNumber(b[valueIdx]);
        if (va !== vb) {
          if (va === null) return 1;
          if (vb === null) return -1;
          return vb - va;
        }
        return labelIdx >= 0 ? String(a[labelIdx]).localeCompare(String(b[labelIdx]), 'vi') : 0;
      });
    }
  } else if (view === 'timeseries') {
    const { timeIdx } = timeseriesSpec(st.columns, kinds);
    if (timeIdx >= 0) {
      const keyed = rows.map((r) => [toTimeMs(r[timeIdx]), r]);
      keyed.sort((a, b) => (a[0] || 0) - (b[0] || 0));
      return keyed.map((x) => x[1]);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Protocol state: one object per scenario, mutated only by these functions
// ---------------------------------------------------------------------------------------------------

export function createScenarioState(name, key = []) {
  return {
    name,
    columns: [],          // [{name, type}] from the last snapshot
    key: [...key],        // key column names; the snapshot's `key` wins over the scenario list's
    keyIdx: [],           // positions of the key columns in `columns`; [] = keyless
    rows: new Map(),      // JSON.stringify(key values) -> row. A Map keeps snapshot order and appends new keys.
    epoch: null,
    seq: null,
    hasData: false,       // a snapshot is held (so deltas have a base, and resume is possible)
    evaluatedAt: null,    // `evaluated_at` of the last applied update (RFC 3339)
    resyncPending: false, // a gap was seen: ignore deltas that do not fit until the fresh snapshot arrives
    version: 0,           // bumped on every applied change
  };
}

function keyOf(keyIdx, row) {
  return JSON.stringify(keyIdx.map((i) => row[i]));
}

/** Key string of a `delete` entry (a tuple of key values in key order). */
export function deleteKey(tuple) {
  return JSON.stringify(Array.isArray(tuple) ? tuple : [tuple]);
}

/** A snapshot always resets the scenario's state (PROTOCOL: "A snapshot always resets the client's state"). */
export function applySnapshot(st, msg) {
  st.columns = Array.isArray(msg.columns)
    ? msg.columns.map((c) => ({ name: String(c && c.name), type: String((c && c.type) ?? '') }))
    : [];
  if (Array.isArray(msg.key)) st.key = msg.key.map(String);
  const idx = st.key.map((k) => st.columns.findIndex((c) => c.name === k));
  st.keyIdx = idx.length > 0 && idx.every((i) => i >= 0) ? idx : [];
  st.rows = new Map();
  const rows = Array.isArray(msg.rows) ? msg.rows : [];
  rows.forEach((r, i) => {
    if (!Array.isArray(r)) return;
    st.rows.set(st.keyIdx.length ? keyOf(st.keyIdx, r) : `#${i}`, r);
  });
  st.epoch = msg.epoch ?? null;
  st.seq = Number.isFinite(msg.seq) ? msg.seq : null;
  st.evaluatedAt = msg.evaluated_at ?? st.evaluatedAt;
  st.hasData = true;
  st.resyncPending = false;
  st.version++;
  return 'applied';
}

/**
 * Applies a delta if it is the next one (same epoch, seq = previous + 1). Returns
 *   'applied'   - state changed
 *   'duplicate' - already applied (seq <= current in the same epoch); ignore
 *   'gap'       - cannot be applied; the caller must re-subscribe for a fresh snapshot
 *   'ignored'   - does not fit, but a re-subscribe is already under way
 */
export function applyDelta(st, msg) {
  const miss = st.resyncPending ? 'ignored' : 'gap';
  if (!st.hasData || st.seq === null || msg.epoch !== st.epoch) return miss;
  if (!Number.isFinite(msg.seq)) return miss;
  if (msg.seq <= st.seq) return 'duplicate';
  if (msg.seq !== st.seq + 1) return miss;
  const upsert = Array.isArray(msg.upsert) ? msg.upsert : [];
  const del = Array.isArray(msg.delete) ? msg.delete : [];
  // A keyless scenario should only ever get snapshots; a non-empty delta for it has no base to apply to.
  if (st.keyIdx.length === 0 && (upsert.length > 0 || del.length > 0)) return miss;
  for (const t of del) st.rows.delete(deleteKey(t));
  for (const r of upsert) if (Array.isArray(r)) st.rows.set(keyOf(st.keyIdx, r), r);
  st.seq = msg.seq;
  st.evaluatedAt = msg.evaluated_at ?? st.evaluatedAt;
  st.version++;
  return 'applied';
}

/** Dispatches snapshot/delta messages; anything else is 'ignored'. */
export function applyUpdate(st, msg) {
  if (msg && msg.type === 'snapshot') return applySnapshot(st, msg);
  if (msg && msg.type === 'delta') return applyDelta(st, msg);
  return 'ignored';
}

/** Marks a gap; returns the subscribe message to send (no resume, so the server answers with a snapshot). */
export function beginResync(st) {
  st.resyncPending = true;
  return subscribeMessage(st);
}

/** The subscribe message, resuming from the last applied epoch/seq when there is one to resume from. */
export function subscribeMessage(st) {
  const msg = { op: 'subscribe', scenario: st.name };
  if (st.hasData && !st.resyncPending && st.epoch !== null && st.seq !== null) {
    msg.resume = { epoch: st.epoch, seq: st.seq };
  }
  return msg;
}

// ---------------------------------------------------------------------------------------------------
// Connection and freshness rules
// ---------------------------------------------------------------------------------------------------

/** Exponential backoff with jitter, 0.5 s up to 15 s. `attempt` counts failures since the last good link. */
export function backoffDelay(attempt, rand = Math.random) {
  const ceiling = Math.min(15000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(Math.min(15000, Math.max(500, ceiling * (0.5 + 0.5 * rand()))));
}

/** 'online' | 'quiet' | 'down' for the header indicator. */
export function connectionStatus(open, lastMessageAt, now) {
  if (!open) return 'down';
  return now - lastMessageAt <= QUIET_AFTER_MS ? 'online' : 'quiet';
}

/**
 * Is the panel's data older than 3 x every_ms? The server pushes every change and stays silent when the
 * result did not change, so a live, in-sync subscription holds the current result even if its last
 * update is old: only flag data we cannot vouch for (link quiet or down, resync pending, or no
 * snapshot yet). All times are server-clock epoch ms.
 */
export function isStale(st, everyMs, now, live, subscribedAt = null) {
  const limit = 3 * Math.max(Number(everyMs) || 0, 1000);
  if (live && st.hasData && !st.resyncPending) return false;
  const evaluated = st.evaluatedAt ? Date.parse(st.evaluatedAt) : NaN;
  const ref = Number.isFinite(evaluated) ? evaluated : subscribedAt;
  return ref !== null && Number.isFinite(ref) && now - ref > limit;
}

// ---------------------------------------------------------------------------------------------------
// Chart geometry (pure)
// ---------------------------------------------------------------------------------------------------

/** Smallest "nice" number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^n) >= v: a tight axis maximum. */
export function niceCeil(v) {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * mag >= v - 1e-9 * mag) return m * mag;
  return 10 * mag;
}

const TZ_OFFSET_MS = 7 * 3600e3; // Asia/Ho_Chi_Minh is UTC+7 all year (no DST): ticks align to local minutes
const TICK_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

/** Tick times (ms) on round local minutes/hours, at most `maxTicks` of them, inside [t0, t1]. */
export function timeTicks(t0, t1, maxTicks) {
  if (!(t1 > t0) || maxTicks < 1) return [];
  const span = t1 - t0;
  let step = TICK_STEPS_MIN[TICK_STEPS_MIN.length - 1] * 60e3;
  for (const m of TICK_STEPS_MIN) {
    if (span / (m * 60e3) <= maxTicks) { step = m * 60e3; break; }
  }
  const out = [];
  let t = Math.ceil((t0 + TZ_OFFSET_MS) / step) * step - TZ_OFFSET_MS;
  for (; t <= t1 && out.length <= maxTicks; t += step) out.push(t);
  return out;
}

/** Points per series from ordered rows: { times, series: [{name, values}], t0, t1, vmin, vmax }. */
export function timeseriesModel(columns, rows, kinds) {
  const { timeIdx, valueIdxs } = timeseriesSpec(columns, kinds);
  const model = { times: [], series: valueIdxs.map((i) => ({ name: columns[i].name, values: [] })),
    t0: NaN, t1: NaN, vmin: 0, vmax: 0 };
  if (timeIdx < 0 || valueIdxs.length === 0) return model;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    const t = toTimeMs(r[timeIdx]);
    if (!Number.isFinite(t)) continue;
    model.times.push(t);
    valueIdxs.forEach((ci, si) => {
      const v = toNumber(r[ci]);
      model.series[si].values.push(v);
      if (v !== null) { if (v < lo) lo = v; if (v > hi) hi = v; }
    });
  }
  if (model.times.length) { model.t0 = model.times[0]; model.t1 = model.times[model.times.length - 1]; }
  if (hi >= lo) {
    model.vmin = Math.min(0, lo);
    model.vmax = hi > 0 ? niceCeil(hi) : 0;
    if (model.vmax === model.vmin) model.vmax = model.vmin + 1;
  } else {
    model.vmax = 1;
  }
  return model;
}

/** SVG path data for one series (line) and the area under it; null values break the line. */
export function seriesPaths(times, values, x, y, baseY) {
  let line = '';
  let area = '';
  let segStart = null;
  let lastX = 0;
  for (let i = 0; i < times.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      if (segStart !== null) area += `L${lastX.toFixed(1)} ${baseY.toFixed(1)}Z`;
      segStart = null;
      continue;
    }
    const px = x(times[i]);
    const py = y(v);
    if (segStart === null) {
      line += `M${px.toFixed(1)} ${py.toFixed(1)}`;
      area += `M${px.toFixed(1)} ${baseY.toFixed(1)}L${px.toFixed(1)} ${py.toFixed(1)}`;
      segStart = px;
    } else {
      line += `L${px.toFixed(1)} ${py.toFixed(1)}`;
      area += `L${px.toFixed(1)} ${py.toFixed(1)}`;
    }
    lastX = px;
  }
  if (segStart !== null) area += `L${lastX.toFixed(1)} ${baseY.toFixed(1)}Z`;
  return { line, area };
}

/** ?scenarios=a,b&lang=en&token=T */
export function parseQuery(search) {
  const q = new URLSearchParams(search || '');
  const list = (q.get('scenarios') || '').split(',').map((s) => s.trim()).filter(Boolean);
  const lang = (q.get('lang') || 'vi').toLowerCase().startsWith('en') ? 'en' : 'vi';
  return { scenarios: list.length ? list : null, lang, token: q.get('token') || null };
}

export function viewOf(meta) {
  return meta && VIEWS.includes(meta.view) ? meta.view : 'table';
}

// ===================================================================================================
// Browser app (everything below touches the DOM)
// ===================================================================================================

const SVG_NS = 'http://www.w3.org/2000/svg';

function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** Restart the CSS flash animation on an element (the reflow makes the re-added class count). */
function flash(el) {
  el.classList.remove('flash');
  void el.offsetWidth;
  el.classList.add('flash');
}

// ---- renderers: each owns its DOM inside the panel body and is updated in place ----------------

function createKpi(body, ctx) {
  const grid = h('div', 'kpi-grid');
  body.append(grid);
  const tiles = new Map(); // column name -> { root, value, label, text }
  let order = '';
  return {
    update(st, rows, kinds) {
      const row = rows[0];
      const names = st.columns.map((c) => c.name);
      st.columns.forEach((c, i) => {
        let t = tiles.get(c.name);
        if (!t) {
          t = { root: h('div', 'kpi-tile'), value: h('div', 'kpi-value'), label: h('div', 'kpi-label'), text: undefined };
          t.root.append(t.value, t.label);
          t.root.addEventListener('animationend', () => t.root.classList.remove('flash'));
          tiles.set(c.name, t);
        }
        t.label.textContent = labelFor(c.name, ctx.lang);
        t.root.classList.toggle('is-text', kinds[i] === 'text');
        const full = formatCell(row ? row[i] : null, kinds[i], c.name, ctx.lang);
        const n = row ? toNumber(row[i]) : null;
        // Big amounts (VND) do not fit a tile: show them compact, the full figure on hover.
        const text = n !== null && Math.abs(n) >= 1e7 && !isPctColumn(c.name) ? NF_COMPACT.format(n) : full;
        t.root.title = full;
        if (t.text !== text) {
          t.value.textContent = text;
          if (t.text !== undefined) flash(t.root); // not on first paint: only real changes flash
          t.text = text;
        }
      });
      for (const [name, t] of tiles) {
        if (!names.includes(name)) { t.root.remove(); tiles.delete(name); }
      }
      const sig = names.join('\u0000');
      if (sig !== order) { // (re)order only when the columns changed, so running flashes are not restarted
        order = sig;
        for (const name of names) grid.append(tiles.get(name).root);
      }
      grid.style.setProperty('--tiles', String(Math.max(1, names.length)));
      return { wide: names.length > 3 };
    },
    destroy() {},
  };
}

function createRanking(body, ctx) {
  const list = h('ol', 'rank-list');
  body.append(list);
  const items = [];
  return {
    update(st, rows, kinds) {
      const { labelIdx, valueIdx } = rankingSpec(st.columns, kinds);
      const top = rows.slice(0, MAX_RANKING_ROWS);
      const values = top.map((r) => (valueIdx >= 0 ? toNumber(r[valueIdx]) : null));
      const max = Math.max(0, ...values.map((v) => v ?? 0)) || 1;
      while (items.length < top.length) {
        const li = h('li', 'rank-item');
        const it = { li, pos: h('span', 'rank-pos'), label: h('span', 'rank-label'), track: h('span', 'rank-track'),
          fill: h('span', 'rank-fill'), value: h('span', 'rank-value') };
        it.track.append(it.fill);
        li.append(it.pos, it.label, it.track, it.value);
        list.append(li);
        items.push(it);
      }
      while (items.length > top.length) items.pop().li.remove();
      top.forEach((r, i) => {
        const it = items[i];
        it.pos.textContent = String(i + 1);
        const label = labelIdx >= 0 ? formatCell(r[labelIdx], kinds[labelIdx], st.columns[labelIdx].name, ctx.lang) : '';
        it.label.textContent = label;
        it.label.title = label;
        const v = values[i];
        it.fill.style.width = `${v && v > 0 ? Math.min(100, (v / max) * 100).toFixed(1) : 0}%`;
        it.value.textContent = valueIdx >= 0 ? formatCell(r[valueIdx], 'number', st.columns[valueIdx].name, ctx.lang) : '—';
      });
      list.style.setProperty('--rows', String(Math.max(1, top.length)));
      return { wide: false };
    },
    destroy() {},
  };
}

function createTimeseries(body, ctx, onResize) {
  const legend = h('div', 'ts-legend');
  const chart = h('div', 'ts-chart');
  const root = svg('svg', { class: 'ts-svg', 'aria-hidden': 'true' });
  const grid = svg('g', { class: 'ts-grid' });
  const axis = svg('g', { class: 'ts-axis' });
  const area = svg('path', { class: 'ts-area s0' });
  const lines = [];
  const dots = [];
  for (let i = 0; i < MAX_SERIES; i++) {
    lines.push(svg('path', { class: `ts-line s${i}` }));
    dots.push(svg('circle', { class: `ts-dot s${i}`, r: '5' }));
  }
  root.append(grid, area, ...lines, ...dots, axis);
  chart.append(root);
  body.append(legend, chart);
  // Redraw at the real pixel size (no stretched text); the SVG is absolutely positioned so resizing
  // it never feeds back into the observed size.
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(() => onResize()) : null;
  if (ro) ro.observe(chart);
  const legendItems = [];

  return {
    update(st, rows, kinds) {
      const m = timeseriesModel(st.columns, rows, kinds);
      // legend: name + latest value of each series
      while (legendItems.length < m.series.length) {
        const item = { root: h('span', `ts-key s${legendItems.length}`), name: h('span', 'ts-key-name'), value: h('span', 'ts-key-value') };
        item.root.append(h('span', 'ts-swatch'), item.name, item.value);
        legend.append(item.root);
        legendItems.push(item);
      }
      while (legendItems.length > m.series.length) legendItems.pop().root.remove();
      m.series.forEach((s, i) => {
        let last = null;
        for (let j = s.values.length - 1; j >= 0; j--) if (s.values[j] !== null) { last = s.values[j]; break; }
        legendItems[i].name.textContent = labelFor(s.name, ctx.lang);
        legendItems[i].value.textContent = formatNumber(last, s.name);
      });

      const w = chart.clientWidth;
      const ht = chart.clientHeight;
      if (!w || !ht) return { wide: true };
      root.setAttribute('viewBox', `0 0 ${w} ${ht}`);
      root.setAttribute('width', String(w));
      root.setAttribute('height', String(ht));
      const padL = 72;
      const padR = 16;
      const padT = 14;
      const padB = 34;
      const pw = Math.max(1, w - padL - padR);
      const ph = Math.max(1, ht - padT - padB);
      let t0 = m.t0;
      let t1 = m.t1;
      if (Number.isFinite(t0) && t1 === t0) { t0 -= 30 * 60e3; t1 += 30 * 60e3; } // one point: centre it
      const x = (t) => padL + ((t - t0) / (t1 - t0)) * pw;
      const y = (v) => padT + (1 - (v - m.vmin) / (m.vmax - m.vmin)) * ph;
      const baseY = y(Math.max(m.vmin, Math.min(0, m.vmax)));

      // grid lines and y labels: max, middle, min (rebuilt: a handful of nodes)
      grid.replaceChildren();
      axis.replaceChildren();
      for (const v of [m.vmax, (m.vmax + m.vmin) / 2, m.vmin]) {
        const yy = y(v).toFixed(1);
        grid.append(svg('line', { x1: padL, x2: w - padR, y1: yy, y2: yy }));
        const label = svg('text', { x: padL - 10, y: yy, 'text-anchor': 'end', 'dominant-baseline': 'middle' });
        label.textContent = formatAxisNumber(v);
        axis.append(label);
      }
      if (Number.isFinite(t0)) {
        for (const t of timeTicks(t0, t1, Math.max(2, Math.floor(pw / 110)))) {
          const xx = x(t);
          axis.append(svg('line', { class: 'tick', x1: xx.toFixed(1), x2: xx.toFixed(1), y1: padT + ph, y2: padT + ph + 6 }));
          const anchor = xx < padL + 24 ? 'start' : xx > w - padR - 24 ? 'end' : 'middle';
          const label = svg('text', { x: xx.toFixed(1), y: ht - 8, 'text-anchor': anchor });
          label.textContent = formatHM(t);
          axis.append(label);
        }
      }

      lines.forEach((path, i) => {
        const s = m.series[i];
        const dot = dots[i];
        if (!s || !Number.isFinite(t0)) {
          path.setAttribute('d', '');
          dot.setAttribute('visibility', 'hidden');
          if (i === 0) area.setAttribute('d', '');
          return;
        }
        const p = seriesPaths(m.times, s.values, x, y, baseY);
        path.setAttribute('d', p.line);
        if (i === 0) area.setAttribute('d', m.series.length === 1 ? p.area : '');
        let j = s.values.length - 1;
        while (j >= 0 && s.values[j] === null) j--;
        if (j >= 0) {
          dot.setAttribute('cx', x(m.times[j]).toFixed(1));
          dot.setAttribute('cy', y(s.values[j]).toFixed(1));
          dot.setAttribute('visibility', 'visible');
        } else {
          dot.setAttribute('visibility', 'hidden');
        }
      });
      return { wide: true };
    },
    destroy() { if (ro) ro.disconnect(); },
  };
}

function createTable(body, ctx) {
  const wrap = h('div', 'table-wrap');
  const table = h('table', 'data-table');
  const thead = h('thead');
  const tbody = h('tbody');
  const more = h('div', 'table-more');
  table.append(thead, tbody);
  wrap.append(table);
  body.append(wrap, more);
  let headSig = '';
  return {
    update(st, rows, kinds) {
      const sig = JSON.stringify([st.columns.map((c) => c.name), kinds]);
      if (sig !== headSig) {
        headSig = sig;
        const tr = h('tr');
        st.columns.forEach((c, i) => {
          const th = h('th', kinds[i] === 'number' ? 'num' : '', labelFor(c.name, ctx.lang));
          th.title = c.name;
          tr.append(th);
        });
        thead.replaceChildren(tr);
      }
      const frag = document.createDocumentFragment();
      for (const r of rows.slice(0, MAX_TABLE_ROWS)) {
        const tr = h('tr');
        st.columns.forEach((c, i) => {
          tr.append(h('td', kinds[i] === 'number' ? 'num' : kinds[i] === 'time' ? 'time' : '', formatCell(r[i], kinds[i], c.name, ctx.lang)));
        });
        frag.append(tr);
      }
      tbody.replaceChildren(frag);
      const extra = rows.length - MAX_TABLE_ROWS;
      more.textContent = extra > 0 ? (STRINGS[ctx.lang] || STRINGS.vi).more(extra) : '';
      more.hidden = extra <= 0;
      return { wide: st.columns.length > 4 };
    },
    destroy() {},
  };
}

const RENDERERS = { kpi: createKpi, ranking: createRanking, timeseries: createTimeseries, table: createTable };

// ---- the app ----------------------------------------------------------------------------------

function boot() {
  const query = parseQuery(location.search);
  const lang = query.lang;
  const T = STRINGS[lang];
  const ctx = { lang };

  const app = {
    metas: new Map(),     // name -> scenario from /api/v1/scenarios
    states: new Map(),    // name -> protocol state (survives reconnects: panels never go blank)
    panels: new Map(),    // name -> panel DOM + renderer
    wsErrors: new Map(),  // name -> "code: message" from a WebSocket error
    subscribedAt: new Map(), // name -> server-clock ms of the last subscribe (staleness before first data)
    resyncAt: new Map(),  // name -> local ms a resync was requested (retried if no snapshot comes)
    order: [],
    ws: null,
    wsOpen: false,
    everOpened: false,
    connectStartedAt: 0,
    lastMessageAt: 0,
    lastPingAt: 0,
    attempt: 0,
    reconnectAt: 0,
    reconnectTimer: 0,
    skew: 0,              // server clock - local clock, from heartbeats (wall PCs drift)
    listLoadedAt: 0,
    listInFlight: false,
    listFailed: false,
    dirty: new Set(),
    frame: 0,
    notice: null,
  };

  // static chrome
  document.documentElement.lang = lang;
  document.title = T.title;
  const $ = (id) => document.getElementById(id);
  $('title').textContent = T.title;
  const grid = $('grid');
  const conn = $('conn');
  const connLabel = $('conn-label');
  const connDetail = $('conn-detail');
  const clockTime = $('clock-time');
  const clockDate = $('clock-date');
  const notice = $('notice');
  const placeholder = h('div', 'grid-message');
  const dateFmt = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'vi-VN', {
    timeZone: TZ, weekday: 'long', day: '2-digit', month: '2-digit', year: 'numeric',
  });

  const serverNow = () => Date.now() + app.skew;
  const authHeaders = () => (query.token ? { Authorization: `Bearer ${query.token}` } : {});

  // ---- panels ----

  function ensurePanel(name) {
    let p = app.panels.get(name);
    if (p) return p;
    p = {
      root: h('section', 'panel'),
      title: h('h2', 'panel-title'),
      updated: h('span', 'panel-updated'),
      error: h('div', 'panel-error'),
      body: h('div', 'panel-body'),
      message: h('div', 'panel-message'),
      view: null,
      renderer: null,
    };
    const head = h('header', 'panel-head');
    head.append(p.title, p.updated);
    p.error.hidden = true;
    p.root.append(head, p.error, p.body, p.message);
    p.root.dataset.scenario = name;
    app.panels.set(name, p);
    return p;
  }

  function removeScenario(name) {
    const p = app.panels.get(name);
    if (p) {
      if (p.renderer) p.renderer.destroy();
      p.root.remove();
    }
    app.panels.delete(name);
    app.states.delete(name);
    app.metas.delete(name);
    app.wsErrors.delete(name);
    app.subscribedAt.delete(name);
    app.resyncAt.delete(name);
    app.dirty.delete(name);
    app.order = app.order.filter((n) => n !== name);
    layout();
  }

  /** Puts panels in list order; touches the DOM only when the order changed. */
  function layout() {
    const wanted = app.order.filter((n) => app.panels.has(n));
    const current = [...grid.children].map((e) => e.dataset.scenario);
    if (wanted.join('\u0000') !== current.join('\u0000')) {
      grid.replaceChildren(...wanted.map((n) => app.panels.get(n).root));
    }
    if (wanted.length === 0) {
      placeholder.textContent = app.listFailed ? T.loadFailed : app.listLoadedAt ? T.noScenarios : T.connecting;
      grid.replaceChildren(placeholder);
    }
  }

  function markDirty(name) {
    app.dirty.add(name);
    if (!app.frame) app.frame = requestAnimationFrame(flush);
  }

  // Coalesce bursts of deltas into one render per panel per frame.
  function flush() {
    app.frame = 0;
    const names = [...app.dirty];
    app.dirty.clear();
    for (const n of names) renderPanel(n);
  }

  function renderPanel(name) {
    const p = app.panels.get(name);
    const st = app.states.get(name);
    const meta = app.metas.get(name);
    if (!p || !st || !meta) return;
    const view = viewOf(meta);
    p.title.textContent = meta.title || name;
    p.title.title = name;
    if (p.view !== view) { // (re)build the renderer when the view changes
      if (p.renderer) p.renderer.destroy();
      p.body.replaceChildren();
      p.view = view;
      p.root.className = `panel view-${view}`;
      p.renderer = RENDERERS[view](p.body, ctx, () => markDirty(name));
    }
    const evaluated = st.evaluatedAt ? Date.parse(st.evaluatedAt) : NaN;
    p.updated.textContent = Number.isFinite(evaluated) ? `${T.updated} ${formatHMS(evaluated)}` : '';

    const err = app.wsErrors.get(name) || (meta.status === 'error' ? meta.last_error || T.error : '');
    p.error.hidden = !err;
    p.error.textContent = err ? `${T.error}: ${err}` : '';
    p.root.classList.toggle('is-error', Boolean(err));

    const all = [...st.rows.values()];
    const kinds = columnKinds(st.columns, all);
    const rows = orderedRows(st, view, kinds);
    const waiting = !st.hasData;
    const empty = !waiting && rows.length === 0;
    p.body.hidden = waiting || empty;
    p.message.hidden = !(waiting || empty);
    p.message.textContent = waiting ? (st.resyncPending ? T.resyncing : T.waiting) : empty ? T.empty : '';
    if (!waiting && !empty) {
      const res = p.renderer.update(st, rows, kinds) || {};
      p.root.classList.toggle('wide', Boolean(res.wide));
    }
    updateFreshness(name);
  }

  function updateFreshness(name, now = serverNow(), live = connectionStatus(app.wsOpen, app.lastMessageAt, Date.now()) === 'online') {
    const p = app.panels.get(name);
    const st = app.states.get(name);
    const meta = app.metas.get(name);
    if (!p || !st || !meta) return;
    p.root.classList.toggle('is-stale', isStale(st, meta.every_ms, now, live, app.subscribedAt.get(name) ?? null));
  }

  // ---- scenario list ----

  async function loadScenarios() {
    if (app.listInFlight) return;
    app.listInFlight = true;
    try {
      const res = await fetch('/api/v1/scenarios', { headers: authHeaders(), cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const list = await res.json();
      if (!Array.isArray(list)) throw new Error('bad list');
      app.listFailed = false;
      app.listLoadedAt = Date.now();
      syncScenarios(list);
    } catch (e) {
      app.listFailed = true;
      app.listLoadedAt = Date.now(); // retry on the normal refresh cadence, not in a tight loop
      layout();
    } finally {
      app.listInFlight = false;
    }
  }

  function syncScenarios(list) {
    let metas = list.filter((s) => s && typeof s.name === 'string');
    if (query.scenarios) {
      const byName = new Map(metas.map((s) => [s.name, s]));
      metas = query.scenarios.map((n) => byName.get(n)).filter(Boolean);
    }
    const names = new Set(metas.map((s) => s.name));
    for (const name of [...app.metas.keys()]) if (!names.has(name)) removeScenario(name);
    for (const meta of metas) {
      app.metas.set(meta.name, meta);
      if (!app.states.has(meta.name)) {
        app.states.set(meta.name, createScenarioState(meta.name, Array.isArray(meta.key) ? meta.key : []));
      }
      ensurePanel(meta.name);
      markDirty(meta.name);
      if (app.wsOpen && !app.subscribedAt.has(meta.name)) subscribe(meta.name);
    }
    app.order = metas.map((s) => s.name);
    layout();
  }

  // ---- WebSocket ----

  function send(msg) {
    if (app.ws && app.wsOpen) app.ws.send(JSON.stringify(msg));
  }

  function subscribe(name) {
    const st = app.states.get(name);
    if (!st) return;
    app.subscribedAt.set(name, serverNow());
    send(subscribeMessage(st));
  }

  function resync(name) {
    const st = app.states.get(name);
    if (!st) return;
    // Drop the old subscription first so its in-flight deltas stop; the new one starts with a snapshot.
    send({ op: 'unsubscribe', scenario: name });
    app.resyncAt.set(name, Date.now());
    app.subscribedAt.set(name, serverNow());
    send(beginResync(st));
    markDirty(name);
  }

  function connect() {
    clearTimeout(app.reconnectTimer);
    app.reconnectTimer = 0;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/ws${query.token ? `?token=${encodeURIComponent(query.token)}` : ''}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    app.ws = ws;
    app.connectStartedAt = Date.now();
    ws.onopen = () => {
      if (ws !== app.ws) return;
      app.wsOpen = true;
      app.everOpened = true;
      app.lastMessageAt = Date.now();
      app.subscribedAt.clear();
      // Resume what we hold at once, then pick up scenarios added while we were away.
      for (const name of app.order) subscribe(name);
      loadScenarios();
      renderConn();
    };
    ws.onmessage = (ev) => {
      if (ws !== app.ws) return;
      app.lastMessageAt = Date.now();
      app.attempt = 0; // the link carries data: the next failure starts the backoff from scratch
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg && typeof msg === 'object') handleMessage(msg);
    };
    ws.onclose = () => {
      if (ws !== app.ws) return;
      dropSocket();
    };
    ws.onerror = () => {}; // a close event always follows; reconnect is handled there
  }

  /** Forget the socket (also used for a half-open one that went silent) and plan the next attempt. */
  function dropSocket() {
    const ws = app.ws;
    app.ws = null;
    app.wsOpen = false;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try { ws.close(); } catch (e) { /* already closed */ }
    }
    scheduleReconnect();
    renderConn();
    refreshAllFreshness();
  }

  function scheduleReconnect() {
    clearTimeout(app.reconnectTimer);
    const delay = backoffDelay(app.attempt++);
    app.reconnectAt = Date.now() + delay;
    app.reconnectTimer = setTimeout(connect, delay);
  }

  function handleMessage(msg) {
    switch (msg.type) {
      case 'snapshot':
      case 'delta': {
        const st = app.states.get(msg.scenario);
        if (!st) return; // not ours (filtered out or removed)
        const r = applyUpdate(st, msg);
        if (r === 'applied') {
          if (msg.type === 'snapshot') { app.resyncAt.delete(msg.scenario); app.wsErrors.delete(msg.scenario); }
          markDirty(msg.scenario);
        } else if (r === 'gap') {
          resync(msg.scenario);
        }
        return;
      }
      case 'heartbeat': {
        const t = Date.parse(msg.server_time);
        if (Number.isFinite(t)) app.skew = t - Date.now();
        return;
      }
      case 'error': {
        const name = msg.scenario;
        if (msg.code === 'scenario_removed' && name) { removeScenario(name); return; }
        const text = [msg.code, msg.message].filter(Boolean).join(': ');
        if (name && app.panels.has(name)) {
          app.wsErrors.set(name, text);
          markDirty(name);
        } else {
          showNotice(text);
        }
        return;
      }
      default:
        return; // pong, alert, future types
    }
  }

  // ---- header: clock, connection, notices ----

  function showNotice(text) {
    app.notice = { text, until: Date.now() + 10000 };
    notice.textContent = `${T.error}: ${text}`;
    notice.hidden = false;
  }

  function renderClock(now) {
    clockTime.textContent = formatHMS(now);
    clockDate.textContent = dateFmt.format(now);
  }

  function renderConn(now = Date.now()) {
    let state = connectionStatus(app.wsOpen, app.lastMessageAt, now);
    let detail = '';
    // neutral only during the very first attempt; a failed attempt is shown as down (red)
    if (state === 'down' && !app.everOpened && app.attempt === 0) state = 'connecting';
    if (state === 'down') {
      const wait = Math.ceil((app.reconnectAt - now) / 1000);
      detail = app.ws ? T.reconnecting : wait > 0 ? T.retryIn(wait) : T.reconnecting;
    }
    conn.className = `conn conn-${state}`;
    connLabel.textContent = state === 'connecting' ? T.connecting : T[state];
    connDetail.textContent = detail;
    document.body.classList.toggle('link-down', state === 'down');
    document.body.classList.toggle('link-quiet', state === 'quiet');
  }

  function refreshAllFreshness() {
    const now = serverNow();
    const live = connectionStatus(app.wsOpen, app.lastMessageAt, Date.now()) === 'online';
    for (const name of app.panels.keys()) updateFreshness(name, now, live);
  }

  /** Once a second: clock, indicator, freshness, keep-alive, stuck resyncs, list refresh. */
  function tick() {
    const now = Date.now();
    renderClock(now);
    renderConn(now);
    refreshAllFreshness();
    if (app.wsOpen && now - app.lastMessageAt > DEAD_AFTER_MS) {
      dropSocket();
    } else if (app.wsOpen && now - app.lastMessageAt > QUIET_AFTER_MS && now - app.lastPingAt > 5000) {
      app.lastPingAt = now; // ask for a pong: proves the link either way
      send({ op: 'ping' });
    } else if (!app.wsOpen && app.ws && now - app.connectStartedAt > 15000) {
      dropSocket(); // a connect attempt that hangs
    }
    if (app.wsOpen) {
      for (const [name, at] of app.resyncAt) if (now - at > 10000) resync(name);
    }
    if (!app.listInFlight && now - app.listLoadedAt > (app.listFailed ? 5000 : 60000)) {
      loadScenarios(); // statuses and last_error change over time; new scenarios appear
    }
    if (app.notice && now > app.notice.until) { app.notice = null; notice.hidden = true; }
    setTimeout(tick, 1000 - (Date.now() % 1000) + 10); // stay on the second boundary
  }

  layout();
  tick();
  loadScenarios().then(connect);
}

if (typeof window !== 'undefined' && typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
}
