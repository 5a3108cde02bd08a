// The analysts' console: write a scenario in SQL (completion from the catalog, validation as you type with
// the error's position marked), preview it on live data, save it, watch what each scenario costs, delete it,
// and put it on a dashboard.
import '../lib/base.css';
import './console.css';
import { EditorView, basicSetup } from 'codemirror';
import { keymap } from '@codemirror/view';
import { Compartment, EditorState } from '@codemirror/state';
import { sql, PostgreSQL } from '@codemirror/lang-sql';
import { setDiagnostics } from '@codemirror/lint';
import { t, applyStatic, getLang, setLang, splitTitle, pick } from '../lib/i18n.js';
import { fmtValue, fmtMs, fmtInt, fmtTime } from '../lib/fmt.js';
import { api, pageLink } from '../lib/api.js';
import { el } from '../lib/dom.js';

const $ = (id) => document.getElementById(id);
applyStatic();
$('lang-btn').textContent = t('lang_other');
$('lang-btn').onclick = () => setLang(getLang() === 'vi' ? 'en' : 'vi');
$('link-wall').href = pageLink('/');
$('link-tablet').href = pageLink('/tablet.html');

let scenarios = [];
let current = null; // name of the scenario loaded from the server (null: a new one)
let lastColumns = [];

// ---------------------------------------------------------------- editor
const schemaConf = new Compartment();
const sqlLang = (schema) => sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true });
const view = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: 'SELECT commune_code, count(*) AS activations\nFROM eid_activations\nWHERE event_time >= now() - INTERVAL \'10 minutes\'\nGROUP BY commune_code\nORDER BY activations DESC',
    extensions: [
      basicSetup,
      schemaConf.of(sqlLang({})),
      keymap.of([{ key: 'Mod-Enter', run: () => { preview(); return true; } }, { key: 'Mod-s', run: () => { save(); return true; } }]),
      EditorView.updateListener.of((u) => { if (u.docChanged) scheduleValidate(); }),
      EditorView.theme({}, { dark: true }),
    ],
  }),
});
window.__editor = view;

function setSql(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

// ---------------------------------------------------------------- catalog: completion and the side list
async function loadCatalog() {
  let tables;
  try {
    tables = await api('/api/v1/tables');
  } catch {
    const streams = await api('/api/v1/streams');
    tables = streams.map((s) => ({ name: s.name, kind: 'stream', columns: s.columns }));
  }
  const schema = {};
  for (const tb of tables) schema[tb.name] = tb.columns.map((c) => ({ label: c.name, type: 'property', detail: c.type }));
  // Column names complete anywhere (lang-sql alone completes them only after `table.`).
  const seen = new Map();
  for (const tb of tables) for (const c of tb.columns) {
    const o = seen.get(c.name);
    if (o) o.detail += `, ${tb.name}`; else seen.set(c.name, { label: c.name, type: 'property', detail: `${c.type} · ${tb.name}`, boost: -1 });
  }
  const columns = [...seen.values()];
  const columnSource = (context) => {
    const word = context.matchBefore(/\w+/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    if (context.state.sliceDoc(word.from - 1, word.from) === '.') return null;
    return { from: word.from, options: columns, validFor: /^\w*$/ };
  };
  view.dispatch({ effects: schemaConf.reconfigure([sqlLang(schema), PostgreSQL.language.data.of({ autocomplete: columnSource })]) });
  const ul = $('catalog');
  ul.replaceChildren(...tables.map((tb) => {
    const li = el('li', `cat-${tb.kind}`);
    const d = el('details');
    const s = el('summary');
    s.append(el('b', null, tb.name), el('span', 'cat-kind', t(tb.kind === 'stream' ? 'stream' : 'reference')));
    d.append(s, el('div', 'cat-cols', tb.columns.map((c) => `${c.name}: ${c.type}`).join(' · ')));
    li.append(d);
    return li;
  }));
}

// ---------------------------------------------------------------- the form
function body(withName) {
  const b = { sql: view.state.doc.toString() };
  if (withName && $('f-name').value) b.name = $('f-name').value.trim();
  const title = $('f-title').value.trim();
  if (title) b.title = title;
  const every = Number($('f-every').value);
  if (every) b.every_ms = every;
  b.on = $('f-on').value;
  const key = $('f-key').value.split(',').map((s) => s.trim()).filter(Boolean);
  b.key = key;
  b.view = $('f-view').value;
  const when = $('f-alert').value.trim();
  if (when) b.alert = { when, severity: $('f-sev').value };
  return b;
}

function load(s) {
  current = s.name;
  $('f-name').value = s.name;
  $('f-title').value = s.title || '';
  $('f-every').value = s.every_ms || 2000;
  $('f-on').value = s.on === 'change' ? 'change' : 'interval';
  $('f-key').value = (s.key || []).join(', ');
  $('f-view').value = s.view || 'table';
  $('f-alert').value = s.alert?.when || '';
  $('f-sev').value = s.alert?.severity || 'warning';
  setSql(s.sql);
  $('d-type').value = ['kpi', 'ranking', 'timeseries', 'table'].includes(s.view) ? s.view : 'table';
  paintList();
}
$('new-btn').onclick = () => {
  current = null;
  for (const id of ['f-name', 'f-title', 'f-key', 'f-alert']) $(id).value = '';
  $('f-every').value = 2000;
  setSql('SELECT ');
  view.focus();
  paintList();
};

// ---------------------------------------------------------------- validation as you type
let vTimer = 0;
let vSeq = 0;
let vAbort = null;
function scheduleValidate() {
  clearTimeout(vTimer);
  vTimer = setTimeout(validate, 450);
}
for (const id of ['f-key', 'f-alert', 'f-sev', 'f-every', 'f-on']) $(id).addEventListener('input', scheduleValidate);

function status(state, text) {
  const v = $('validation');
  v.dataset.state = state;
  v.textContent = text;
}

async function validate() {
  const my = ++vSeq;
  if (vAbort) vAbort.abort();
  vAbort = new AbortController();
  status('busy', t('validating'));
  try {
    const r = await api('/api/v1/scenarios/validate', { method: 'POST', body: body(true), signal: vAbort.signal });
    if (my !== vSeq) return;
    lastColumns = r.columns || [];
    view.dispatch(setDiagnostics(view.state, []));
    const mode = r.mode === 'incremental' ? t('mode_incremental') : `${t('mode_full')}: ${r.full_reason || ''}`;
    status('ok', '✓ ' + t('validate_ok', { n: lastColumns.length, cols: lastColumns.map((c) => `${c.name} (${c.type})`).join(', ') }) + ' · ' + mode);
  } catch (e) {
    if (e.name === 'AbortError' || my !== vSeq) return;
    markError(e);
  }
}

function markError(e) {
  const err = e.body?.error || { message: e.message };
  const doc = view.state.doc;
  let from = 0, to = Math.min(doc.length, 1);
  let where = '';
  if (err.line) {
    const line = doc.line(Math.min(Math.max(1, err.line), doc.lines));
    from = Math.min(line.to, line.from + Math.max(0, (err.column || 1) - 1));
    const word = /^[\w.]+/.exec(doc.sliceString(from, line.to));
    to = word ? from + word[0].length : Math.min(line.to, from + 1);
    if (to === from) to = Math.min(doc.length, from + 1);
    where = t('line_col', { l: err.line, c: err.column || 1 }) + ': ';
  }
  view.dispatch(setDiagnostics(view.state, [{ from, to, severity: 'error', message: err.message || String(e) }]));
  status('error', '✗ ' + where + (err.message || e.message));
}

// ---------------------------------------------------------------- preview
async function preview() {
  const info = $('preview-info');
  info.textContent = t('validating');
  info.dataset.state = 'busy';
  const t0 = performance.now();
  try {
    const r = await api('/api/v1/query', { method: 'POST', body: { sql: view.state.doc.toString(), limit: 200 } });
    const ms = performance.now() - t0;
    info.dataset.state = 'ok';
    info.textContent = `${t('preview_rows', { n: fmtInt(r.rows.length) })} ${r.truncated ? t('truncated') : ''} · ${fmtMs(ms)}`;
    const table = $('preview');
    const head = el('thead');
    const tr = el('tr');
    for (const c of r.columns) { const th = el('th', null, c.name); th.title = c.type; tr.append(th); }
    head.append(tr);
    const tb = el('tbody');
    for (const row of r.rows) {
      const tr2 = el('tr');
      row.forEach((v, i) => tr2.append(el('td', /int|float/.test(r.columns[i].type) ? 'num' : null, fmtValue(v, null, r.columns[i].type))));
      tb.append(tr2);
    }
    table.replaceChildren(head, tb);
  } catch (e) {
    info.dataset.state = 'error';
    info.textContent = '✗ ' + (e.body?.error?.message || e.message);
    markError(e);
  }
}
$('preview-btn').onclick = preview;

// ---------------------------------------------------------------- save, delete
function toast(text, kind = 'ok') {
  const el2 = $('toast');
  el2.textContent = text;
  el2.dataset.kind = kind;
  el2.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el2.classList.remove('show'), 4000);
}

async function save() {
  const name = $('f-name').value.trim();
  if (!/^[a-z][a-z0-9_]*$/.test(name)) { toast(t('name_required'), 'error'); $('f-name').focus(); return; }
  try {
    const s = await api(`/api/v1/scenarios/${encodeURIComponent(name)}`, { method: 'PUT', body: body(false) });
    current = s.name;
    toast(t('saved', { s: name }));
    await refreshList();
  } catch (e) {
    markError(e);
    toast(e.body?.error?.message || e.message, 'error');
  }
}
$('save-btn').onclick = save;

let armed = 0;
$('delete-btn').onclick = async () => {
  const name = $('f-name').value.trim();
  if (!name) return;
  const btn = $('delete-btn');
  if (!armed) { // two clicks: no modal dialog
    armed = setTimeout(() => { armed = 0; btn.textContent = t('delete'); }, 4000);
    btn.textContent = t('confirm_delete', { s: name });
    return;
  }
  clearTimeout(armed); armed = 0; btn.textContent = t('delete');
  try {
    await api(`/api/v1/scenarios/${encodeURIComponent(name)}`, { method: 'DELETE' });
    toast(t('deleted', { s: name }));
    current = null;
    await refreshList();
  } catch (e) { toast(e.body?.error?.message || e.message, 'error'); }
};

// ---------------------------------------------------------------- the list with status and cost
function paintList() {
  const ul = $('scenario-list');
  const frag = document.createDocumentFragment();
  for (const s of scenarios) {
    const li = el('li', `sc-item ${s.status === 'error' ? 'sc-error' : ''} ${s.name === current ? 'active' : ''}`);
    li.dataset.name = s.name;
    li.tabIndex = 0;
    const top = el('div', 'sc-top');
    top.append(el('i', `sc-dot ${s.status}`), el('b', 'sc-name', s.name), el('span', 'sc-every', `${fmtInt(s.every_ms)} ms`));
    if (s.mode) {
      const badge = el('span', `sc-mode ${s.mode}`, s.mode === 'incremental' ? t('mode_incremental') : t('mode_full'));
      badge.title = s.full_reason || t('mode_incremental_hint');
      top.append(badge);
    }
    const title = el('div', 'sc-title', splitTitle(s.title));
    const cost = el('div', 'sc-cost');
    cost.append(
      stat(t('last_eval'), fmtMs(s.last_eval_ms)), stat(t('p99'), fmtMs(s.p99_eval_ms)),
      stat(t('rows_scanned'), fmtInt(s.rows_scanned)),
      stat(t('segments'), `${fmtInt(s.segments_scanned)}/${fmtInt(s.segments_skipped)}/${fmtInt(s.segments_cached)}`),
      stat(t('cache'), fmtBytes(s.cache_bytes)), stat(t('result_rows'), fmtInt(s.result_rows)), stat(t('errors'), fmtInt(s.errors)),
    );
    li.append(top, title, cost);
    if (s.mode === 'full' && s.full_reason) li.append(el('div', 'sc-why', s.full_reason));
    if (s.last_error) li.append(el('div', 'sc-err', s.last_error));
    li.onclick = () => load(s);
    li.onkeydown = (e) => { if (e.key === 'Enter') load(s); };
    frag.append(li);
  }
  ul.replaceChildren(frag);
}
function fmtBytes(n) {
  if (!n) return '0';
  return n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}
function stat(label, value) {
  const s = el('span', 'stat');
  s.append(el('small', null, label), el('b', null, value));
  return s;
}
async function refreshList() {
  try {
    scenarios = await api('/api/v1/scenarios');
    scenarios.sort((a, b) => a.name.localeCompare(b.name));
    paintList();
  } catch { /* keep the last list */ }
}

// ---------------------------------------------------------------- put a scenario on a dashboard
let dashboards = [];
async function loadDashboards() {
  try { dashboards = await api('/api/v1/dashboards'); } catch { dashboards = []; }
  const sel = $('d-name');
  const keep = sel.value;
  sel.replaceChildren(...dashboards.map((d) => { const o = el('option', null, `${pick(d.title, d.title_en)} (${d.name})`); o.value = d.name; return o; }));
  if (keep) sel.value = keep;
  paintPages();
}
function paintPages() {
  const d = dashboards.find((x) => x.name === $('d-name').value);
  const sel = $('d-page');
  const opts = (d?.pages || []).map((p, i) => { const o = el('option', null, `${i + 1}. ${pick(p.title, p.title_en)}`); o.value = String(i); return o; });
  const o = el('option', null, getLang() === 'en' ? '+ new page' : '+ trang mới');
  o.value = 'new';
  sel.replaceChildren(...opts, o);
  sel.value = 'new';
}
$('d-name').onchange = paintPages;

$('d-add').onclick = async () => {
  const name = $('f-name').value.trim();
  const dname = $('d-name').value;
  if (!name || !dname) return;
  try {
    const d = await api(`/api/v1/dashboards/${encodeURIComponent(dname)}`);
    const s = scenarios.find((x) => x.name === name);
    const type = $('d-type').value;
    const cols = lastColumns.length ? lastColumns : [];
    const numeric = cols.find((c) => /int|float/.test(c.type))?.name;
    const text = cols.find((c) => c.type === 'utf8')?.name;
    const titleFull = s?.title || $('f-title').value || name;
    const parts = titleFull.split(' — ');
    const panel = { type, scenario: name, title: parts[0] };
    if (parts[1]) panel.title_en = parts[1];
    if (numeric && type !== 'table' && type !== 'timeseries') panel.value = numeric;
    if (text && (type === 'ranking' || type === 'map')) panel.label = text;
    const where = $('d-page').value;
    if (where === 'new') {
      d.pages.push({ title: parts[0], title_en: parts[1] || parts[0], panels: [{ ...panel, area: [1, 1, 12, 6] }] });
    } else {
      d.pages[Number(where)].panels.push(panel);
    }
    delete d.name;
    await api(`/api/v1/dashboards/${encodeURIComponent(dname)}`, { method: 'PUT', body: d });
    toast(t('added_to_dashboard', { s: name, d: dname }));
    await loadDashboards();
  } catch (e) {
    toast(e.body?.error?.message || e.message, 'error');
  }
};

// ---------------------------------------------------------------- start
loadCatalog().catch((e) => toast(e.message, 'error'));
refreshList().then(() => { if (!current) scheduleValidate(); });
loadDashboards();
setInterval(refreshList, 3000);
window.__console = { fmtTime };
