// The tablet: headline KPIs and rankings for leaders, filtered by commune/ward or agency through the
// WebSocket subscription `filter` (the server sends only the matching rows: light on a 4G link).
import '../lib/base.css';
import './tablet.css';
import { t, pick, applyStatic, getLang, setLang } from '../lib/i18n.js';
import { api, loadScenarios } from '../lib/api.js';
import { Live } from '../lib/live.js';
import { Alerts } from '../lib/alerts.js';
import { makePanel, el } from '../lib/panels.js';
import { chooseDashboard } from '../lib/dashboard.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
applyStatic();
$('lang-btn').textContent = t('lang_other');
$('lang-btn').onclick = () => setLang(getLang() === 'vi' ? 'en' : 'vi');

const FKEY = 'ioc.tablet.filter';
let filter = {};
try { filter = JSON.parse(localStorage.getItem(FKEY) || '{}') || {}; } catch { filter = {}; }
if (params.has('commune')) filter.commune_code = params.get('commune') || undefined;
if (params.has('agency')) filter.agency_code = params.get('agency') || undefined;

const live = new Live();
const alerts = new Alerts(live);
const ctx = { live, alerts, scenarios: new Map(), filter };
let panels = [];

live.onStatus((state) => {
  $('conn').dataset.state = state;
  $('conn').lastChild.textContent = t(state === 'open' ? 'connected' : state === 'down' ? 'disconnected' : 'connecting');
});
setInterval(() => { const now = Date.now(); for (const p of panels) p.tick(now); }, 1000);

function applyFilter() {
  const f = {};
  if ($('f-commune').value) f.commune_code = $('f-commune').value;
  if ($('f-agency').value) f.agency_code = $('f-agency').value;
  filter = f;
  ctx.filter = f;
  try { localStorage.setItem(FKEY, JSON.stringify(f)); } catch { /* private mode */ }
  const u = new URL(location.href);
  u.searchParams.delete('commune'); u.searchParams.delete('agency');
  if (f.commune_code) u.searchParams.set('commune', f.commune_code);
  if (f.agency_code) u.searchParams.set('agency', f.agency_code);
  history.replaceState(null, '', u);
  for (const p of panels) p.setFilter(f);
  document.body.dataset.filtered = Object.keys(f).length ? '1' : '0';
}
$('f-commune').onchange = applyFilter;
$('f-agency').onchange = applyFilter;

/** Choices of a filter: the reference table when this token may query it, else the values seen in results. */
async function options(select, table, code, name, fromScenarios) {
  let pairs = [];
  try {
    const r = await api('/api/v1/query', { method: 'POST', body: { sql: `SELECT ${code}, ${name} FROM ${table} ORDER BY ${name}`, limit: 5000 } });
    pairs = r.rows.map((row) => [row[0], row[1]]);
  } catch {
    const seen = new Map();
    for (const s of fromScenarios) {
      try {
        const r = await api(`/api/v1/scenarios/${encodeURIComponent(s)}/result`);
        const ci = r.columns.findIndex((c) => c.name === code);
        const ni = r.columns.findIndex((c) => c.name === name);
        if (ci >= 0) for (const row of r.rows) seen.set(row[ci], ni >= 0 ? row[ni] : row[ci]);
      } catch { /* skip */ }
    }
    pairs = [...seen].sort((a, b) => String(a[1]).localeCompare(String(b[1]), 'vi'));
  }
  for (const [c, n] of pairs) {
    const o = el('option', null, `${n}`);
    o.value = c;
    select.append(o);
  }
}

const arr = (v) => (Array.isArray(v) ? v : v ? [v] : []);

/**
 * Panels of one scenario that take different filters (one for the chosen commune, one province-wide) need
 * subscriptions of their own on the one connection: each gets an `id` naming its filter columns. Panels
 * that take the same filters share one subscription (and the bytes on a 4G link); no id when one suffices.
 */
function subscriptionIds(defs) {
  const filtersOf = (d) => arr(d.filters).slice().sort().join(',');
  const kinds = new Map();
  for (const d of defs) {
    if (!d.scenario) continue;
    if (!kinds.has(d.scenario)) kinds.set(d.scenario, new Set());
    kinds.get(d.scenario).add(filtersOf(d));
  }
  return (d) => (d.scenario && kinds.get(d.scenario).size > 1 ? `${d.scenario}|${filtersOf(d)}` : null);
}

async function start() {
  for (let attempt = 0; ; attempt++) {
    try {
      const sc = await loadScenarios();
      for (const [k, v] of sc) ctx.scenarios.set(k, v);
      const { dashboard } = await chooseDashboard(params.get('dashboard'), 'tablet', ctx.scenarios);
      $('dash-title').textContent = pick(dashboard.title, dashboard.title_en);
      document.title = `IOC — ${pick(dashboard.title, dashboard.title_en)}`;
      const host = $('panels');
      const ids = subscriptionIds(dashboard.pages.flatMap((pg) => pg.panels || []));
      for (const pg of dashboard.pages) {
        for (const def of pg.panels || []) {
          const { area, ...rest } = def; // the tablet flows panels; areas are for the wall
          const p = makePanel({ ...rest, limit: def.limit || 8, sub_id: ids(def) }, ctx);
          panels.push(p);
          host.append(p.root);
        }
      }
      const withCol = (c) => panels.filter((p) => (p.def.filters || []).includes(c)).map((p) => p.def.scenario);
      await Promise.all([
        options($('f-commune'), 'communes', 'commune_code', 'commune_name', withCol('commune_code')),
        options($('f-agency'), 'agencies', 'agency_code', 'agency_name', withCol('agency_code')),
      ]);
      if (filter.commune_code) $('f-commune').value = filter.commune_code;
      if (filter.agency_code) $('f-agency').value = filter.agency_code;
      document.body.dataset.filtered = Object.keys(filter).filter((k) => filter[k]).length ? '1' : '0';
      document.body.dataset.ready = '1';
      return;
    } catch (e) {
      await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * 2 ** attempt)));
    }
  }
}
start();

// A compact line of firing alerts (count by severity).
alerts.on(() => {
  const list = alerts.list().filter((a) => !a.acked_by);
  const foot = $('tb-alerts');
  foot.replaceChildren();
  if (!list.length) return;
  const by = {};
  for (const a of list) by[a.severity] = (by[a.severity] || 0) + 1;
  foot.append(el('b', null, `${t('alerts')} (${t('firing')}):`));
  for (const [s, n] of Object.entries(by)) foot.append(el('span', `sev-chip sev-${s}`, `${t('severity_' + s)}: ${n}`));
});
window.__ioc = { live, panels: () => panels };
