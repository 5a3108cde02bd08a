// The wall: a fixed 1920x1080 stage scaled to the screen, pages of panels that rotate, an alert ticker.
import '../lib/base.css';
import './wall.css';
import { t, pick, applyStatic, getLang, setLang } from '../lib/i18n.js';
import { fmtTime, fmtDate } from '../lib/fmt.js';
import { loadScenarios } from '../lib/api.js';
import { Live } from '../lib/live.js';
import { Alerts } from '../lib/alerts.js';
import { makePanel, alertText, el } from '../lib/panels.js';
import { chooseDashboard } from '../lib/dashboard.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const stage = $('stage');
applyStatic();

const live = new Live();
const alerts = new Alerts(live);
const ctx = { live, alerts, scenarios: new Map(), filter: null, pixelRatio: 1 };

// ---- scale the 1920x1080 stage to any screen, letterboxed.
// Charts draw at the stage's scale (a 4K wall gets 2x canvases, not blurry upscaled ones).
let pixelRatio = 1;
let refitTimer = 0;
function fit() {
  const s = Math.min(innerWidth / 1920, innerHeight / 1080);
  stage.style.transform = `translate(${(innerWidth - 1920 * s) / 2}px, ${(innerHeight - 1080 * s) / 2}px) scale(${s})`;
  const ratio = Math.max(1, Math.min(4, s * (window.devicePixelRatio || 1)));
  if (Math.abs(ratio - pixelRatio) / pixelRatio > 0.1) {
    pixelRatio = ratio;
    ctx.pixelRatio = ratio;
    clearTimeout(refitTimer);
    if (dash) refitTimer = setTimeout(() => build(dash), 500); // rebuild: charts re-created at the new ratio
  }
}
let dash = null;
let dashJson = '';
let panels = [];
let pageEls = [];
let page = Math.max(0, (Number(params.get('page')) || 1) - 1);
let rotating = params.get('rotate') !== '0' && !params.get('page');
let rotateTimer = 0;
addEventListener('resize', fit);
fit();

function build(d) {
  for (const p of panels) p.destroy();
  panels = [];
  const host = $('pages');
  host.replaceChildren();
  pageEls = d.pages.map((pg, i) => {
    const pe = el('div', 'page');
    pe.dataset.page = String(i + 1);
    const defs = pg.panels || [];
    const anyArea = defs.some((d) => Array.isArray(d.area) && d.area.length === 4);
    // Panels without `area`: a page of only such panels is laid out evenly; on a laid-out page they take 4x2.
    const cols = defs.length <= 1 ? 1 : defs.length <= 4 ? 2 : defs.length <= 9 ? 3 : 4;
    const rows = Math.ceil(defs.length / cols);
    for (const def of defs) {
      const p = makePanel(def, ctx);
      if (!(Array.isArray(def.area) && def.area.length === 4)) {
        p.root.style.gridColumn = `span ${anyArea ? 4 : 12 / cols}`;
        p.root.style.gridRow = `span ${anyArea ? 2 : Math.max(1, Math.floor(6 / rows))}`;
      }
      panels.push(p);
      pe.append(p.root);
    }
    host.append(pe);
    return pe;
  });
  // Panels subscribed; drop subscriptions no panel uses any more (a dashboard edited on disk).
  const used = new Set(panels.map((p) => p.def.scenario).filter(Boolean));
  for (const [key, sub] of [...live.subs]) if (!used.has(sub.scenario)) live.unsubscribe(key);
  $('dash-title').textContent = pick(d.title, d.title_en);
  document.title = `IOC — ${pick(d.title, d.title_en)}`;
  requestAnimationFrame(() => panels.forEach((p) => p.resize()));
  showPage(Math.min(page, pageEls.length - 1));
}

function showPage(i) {
  page = i;
  pageEls.forEach((pe, k) => pe.classList.toggle('active', k === i));
  const pg = dash.pages[i];
  $('page-title').textContent = pg ? pick(pg.title, pg.title_en) : '';
  const dots = $('page-dots');
  dots.replaceChildren(...dash.pages.map((p, k) => {
    const b = el('button', k === i ? 'dot active' : 'dot');
    b.type = 'button';
    b.title = pick(p.title, p.title_en);
    b.textContent = String(k + 1);
    b.onclick = () => { showPage(k); restartRotation(); };
    return b;
  }));
  restartRotation();
}

// Button symbols are drawn, not typed: the wall's fonts lack ⏸ (U+23F8), which showed as an empty box.
const ICONS = {
  pause: 'M3 2h3.5v12H3zM9.5 2H13v12H9.5z',
  play: 'M4 2l10 6-10 6z',
  sound: 'M6 2v8.3A2.5 2.5 0 1 0 7.5 12.5V5h4V2z',
};
function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.dataset.icon = name;
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
function label(button, name, text) {
  button.replaceChildren(...(name ? [icon(name)] : []), document.createTextNode(text));
}

function restartRotation() {
  clearTimeout(rotateTimer);
  const secs = dash?.rotate_seconds ?? 30;
  label($('rotate-btn'), rotating ? 'pause' : 'play', t(rotating ? 'pause' : 'play'));
  if (rotating && secs > 0 && pageEls.length > 1) {
    rotateTimer = setTimeout(() => showPage((page + 1) % pageEls.length), secs * 1000);
  }
}

$('rotate-btn').onclick = () => { rotating = !rotating; restartRotation(); };
const soundBtn = $('sound-btn');
const paintSound = () => { label(soundBtn, alerts.sound ? 'sound' : null, t(alerts.sound ? 'sound_on' : 'sound_off')); soundBtn.classList.toggle('on', alerts.sound); };
soundBtn.onclick = () => { alerts.setSound(!alerts.sound); paintSound(); };
paintSound();
$('lang-btn').textContent = t('lang_other');
$('lang-btn').onclick = () => setLang(getLang() === 'vi' ? 'en' : 'vi');

// ---- connection badge and clock, once a second; panels judge their freshness
const conn = $('conn');
live.onStatus((state) => {
  if (state === 'open' && conn.dataset.state !== 'open' && dash) refreshScenarios(); // fresh progress after a reconnect
  conn.dataset.state = state;
  document.body.dataset.conn = state;
  let text = t(state === 'open' ? 'connected' : state === 'down' ? 'disconnected' : 'connecting');
  if (state === 'down') text += ` · ${t('reconnect_in', { s: Math.max(0, Math.ceil((live.retryAt - Date.now()) / 1000)) })}`;
  conn.lastChild.textContent = text;
});
function tick() {
  const now = Date.now();
  $('clock-time').textContent = fmtTime(now);
  $('clock-date').textContent = fmtDate(now);
  for (const p of panels) p.tick(now);
}
setInterval(tick, 1000);
tick();

// ---- the alert ticker (every screen shows every firing alert and its acknowledgement)
function paintTicker() {
  const list = alerts.list();
  $('ticker').dataset.count = String(list.length);
  $('ticker').dataset.worst = list.find((a) => !a.acked_by)?.severity || (list.length ? 'acked' : 'none');
  $('ticker-count').textContent = String(list.length);
  const items = $('ticker-items');
  if (!list.length) {
    items.replaceChildren(el('span', 'ticker-none', '✓ ' + t('no_alerts')));
    items.classList.remove('scrolling');
    return;
  }
  const frag = document.createDocumentFragment();
  for (const a of list.slice(0, 30)) {
    const { title, key } = alertText(a, ctx);
    const s = el('span', `ticker-item sev-${a.severity}${a.acked_by ? ' acked' : ''}`);
    s.append(el('i', 'sev-dot'), el('b', null, title), document.createTextNode(key ? ` — ${key} ` : ' '),
      el('span', 'ticker-at', fmtTime(a.at)));
    if (a.acked_by) s.append(el('span', 'ticker-ack', ` ✓ ${a.acked_by}`));
    frag.append(s);
  }
  items.classList.remove('scrolling');
  items.replaceChildren(frag);
  // Scroll only when the items do not fit; then they are doubled so the loop has no seam.
  const over = items.scrollWidth > items.parentElement.clientWidth;
  if (over) {
    const w = items.scrollWidth;
    for (const n of [...items.children]) { const c = n.cloneNode(true); c.setAttribute('aria-hidden', 'true'); c.classList.add('ticker-clone'); items.append(c); }
    items.style.setProperty('--ticker-dur', `${Math.max(20, w / 70)}s`);
    items.classList.add('scrolling');
  }
}
alerts.on(paintTicker);
paintTicker();

// ---- load, then keep the scenario list (intervals, status) and the dashboard (edited on disk) current
// Evaluation progress: heartbeats prove the link, not that the engine still evaluates a scenario. A scenario on
// an interval whose `evaluations` count has not moved for three intervals (and two polls) is stale too.
const SCENARIO_POLL_MS = 15000;
const progress = new Map(); // name -> {evaluations, since (local ms)}
ctx.stalled = (name, now) => {
  const s = ctx.scenarios.get(name);
  const p = progress.get(name);
  if (!s || !p || s.on === 'change') return false;
  return now - p.since > Math.max(3 * (s.every_ms || 2000), 2 * SCENARIO_POLL_MS + 1000);
};
async function refreshScenarios() {
  try {
    const m = await loadScenarios();
    const now = Date.now();
    ctx.scenarios.clear();
    for (const [k, v] of m) {
      ctx.scenarios.set(k, v);
      const p = progress.get(k);
      if (!p || p.evaluations !== v.evaluations) progress.set(k, { evaluations: v.evaluations, since: now });
    }
  } catch { /* keep what we had: the wall never goes blank */ }
}
async function refreshDashboard() {
  try {
    const { dashboard } = await chooseDashboard(params.get('dashboard'), 'overview', ctx.scenarios);
    const j = JSON.stringify(dashboard);
    if (j !== dashJson) {
      dashJson = j;
      dash = dashboard;
      build(dash);
    }
  } catch { /* keep the current one */ }
}
async function start() {
  for (let attempt = 0; ; attempt++) {
    await refreshScenarios();
    await refreshDashboard();
    if (dash) break;
    await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * 2 ** attempt)));
  }
  paintTicker();
  setInterval(refreshScenarios, SCENARIO_POLL_MS);
  setInterval(refreshDashboard, 20000);
}
start();
window.__ioc = { live, alerts, panels: () => panels, showPage: (i) => showPage(i) };
