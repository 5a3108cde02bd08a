// Browser tests of the wall, the tablet and the console, in headless Chromium driven by playwright-core.
//
//   IOC_BIN=target/debug/ioc-stream node frontend/tests/browser.mjs
//
// Starts `IOC_BIN serve` on a copy of tests/fixture (a stream, two reference tables, scenarios, dashboards),
// pushes events over HTTP, and checks what the pages show. Exits non-zero naming the check that failed.
// Screenshots of each face go to build/screenshots/ at the repository root.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const shots = join(repo, 'build', 'screenshots');
const BIN = process.env.IOC_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const T0 = Date.now();

if (!BIN) fail('setup', 'IOC_BIN is not set (the path of the ioc-stream binary)');
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'ioc-browser-'));
const queries = join(work, 'queries');
const dataDir = join(work, 'data');
cpSync(join(here, 'fixture'), queries, { recursive: true });
const serverLog = join(work, 'server.log');
const logStream = createWriteStream(serverLog, { flags: 'a' });

let server = null;
let browser = null;
let base = '';
let step = 'setup';
const problems = []; // console errors and page errors, collected from every page
let allowNetErrors = false; // while the server is down on purpose, or a bad SQL is validated on purpose

function log(msg) { console.log(`[${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s] ${msg}`); }

async function fail(where, msg) {
  console.error(`\nFAILED: ${where}: ${msg}`);
  try { console.error('--- server log (tail) ---\n' + readFileSync(serverLog, 'utf8').split('\n').slice(-30).join('\n')); } catch { /* none */ }
  await cleanup();
  process.exit(1);
}

async function cleanup() {
  try { if (browser) await browser.close(); } catch { /* closing */ }
  browser = null;
  if (server) await stopServer();
  try { rmSync(work, { recursive: true, force: true }); } catch { /* leave it */ }
}

// ---------------------------------------------------------------- the server
function startServer(listen, extra = []) {
  return new Promise((ok, ko) => {
    const p = spawn(BIN, ['serve', '--listen', listen, '--queries', queries, '--data-dir', dataDir, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
    });
    const timer = setTimeout(() => { p.kill('SIGKILL'); ko(new Error('the server did not print its address within 60 s')); }, 60000);
    p.stderr.pipe(logStream, { end: false });
    const rl = createInterface({ input: p.stdout });
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (!m) { ko(new Error(`unexpected first line: ${line}`)); return; }
      server = p;
      ok(m[1]);
    });
    rl.on('line', (l) => logStream.write(l + '\n'));
    p.once('exit', (code) => { clearTimeout(timer); if (server === p) server = null; ko(new Error(`the server exited (${code})`)); });
  });
}

function stopServer(signal = 'SIGTERM') {
  const p = server;
  server = null;
  if (!p || p.exitCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const kill = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.once('exit', () => { clearTimeout(kill); ok(); });
    p.kill(signal);
  });
}

const sent = [];
async function push(events) {
  if (events !== sent) sent.push(...events);
  const body = events.map((e) => JSON.stringify(e)).join('\n');
  const res = await fetch(`${base}/api/v1/streams/reports/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  if (!res.ok) throw new Error(`push: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
let nextId = 1;
function event(commune, agency, kind, value, agoMs = 0) {
  return { event_id: `t-${nextId++}`, event_time: new Date(Date.now() - agoMs).toISOString(), commune_code: commune, agency_code: agency, kind, value };
}

// ---------------------------------------------------------------- the browser
async function newPage(viewport, name) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (allowNetErrors && /Failed to load resource|WebSocket connection to|ERR_CONNECTION_REFUSED|net::ERR_/.test(text)) return;
    problems.push(`${name}: console error: ${text}`);
  });
  return page;
}

/** Polls `fn` in the page until it returns a truthy value; fails naming `what`. */
async function waitIn(page, what, fn, arg, timeout = 15000) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    last = await page.evaluate(fn, arg).catch((e) => ({ error: e.message }));
    if (last && !last.error && last !== false) return last;
    if (Date.now() > until) await fail(step, `${what} (after ${timeout / 1000} s; last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function panelStates() {
  return [...document.querySelectorAll('.page.active .panel, .tb-panels .panel')].map((p) => ({
    scenario: p.dataset.scenario || p.dataset.type, state: p.dataset.state, data: p.dataset.hasData, value: p.dataset.value,
  }));
}
const kpiValue = () => document.querySelector('.page.active .panel-kpi[data-scenario="totals"], .tb-panels .panel-kpi[data-scenario="totals"]')?.dataset.value;

async function main() {
  const port0 = await startServer('127.0.0.1:0');
  base = port0;
  const port = new URL(base).port;
  log(`server at ${base}`);

  // Seed: 40 reports over the last 5 minutes.
  const communes = ['X01', 'X02', 'X03', 'X04'];
  const agencies = ['SO_YT', 'SO_GTVT', 'UBND_XA'];
  const seed = [];
  for (let i = 0; i < 40; i++) seed.push(event(communes[i % 4], agencies[i % 3], i % 2 ? 'flood' : 'traffic', 10 + i, (40 - i) * 7000));
  await push(seed);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

  // ---------------------------------------------------------- 1. the wall renders every panel with data
  step = 'wall renders every panel with data';
  const wall = await newPage({ width: 1920, height: 1080 }, 'wall');
  await wall.goto(`${base}/?rotate=0`);
  const states = await waitIn(wall, 'every panel of page 1 is ok and has data', () => {
    const ps = [...document.querySelectorAll('.page.active .panel')];
    return ps.length === 7 && ps.every((p) => p.dataset.state === 'ok' && p.dataset.hasData === '1') && ps.length;
  });
  const asOf = await wall.$eval('.panel-kpi .panel-asof', (e) => e.textContent);
  if (!/^lúc \d\d:\d\d:\d\d$/.test(asOf)) await fail(step, `"as of" reads ${JSON.stringify(asOf)}`);
  const title = await wall.$eval('#dash-title', (e) => e.textContent);
  if (title !== 'Trung tâm điều hành — Kiểm thử') await fail(step, `title is ${JSON.stringify(title)}`);
  const n0 = Number(await wall.evaluate(kpiValue));
  if (n0 !== 40) await fail(step, `the KPI shows ${n0}, expected 40`);
  const shown = await wall.$eval('.panel-kpi[data-scenario="totals"] .kpi-value', (e) => e.textContent);
  if (shown !== '40') await fail(step, `the KPI text is ${JSON.stringify(shown)}`);
  const mapPoints = await wall.$eval('.panel-map', (e) => e.dataset.rows);
  if (mapPoints !== '4') await fail(step, `the map shows ${mapPoints} points, expected 4`);
  // Communes are drawn as filled areas from the shipped boundaries (generated by tools/gen_reference.py).
  await waitIn(wall, 'the map draws commune areas', () => document.querySelector('.panel-map')?.dataset.mode === 'areas');
  // The pause button draws its symbol (the wall's fonts have no ⏸ glyph: it showed as an empty box).
  const rotateBtn = await wall.$eval('#rotate-btn', (b) => ({ text: b.textContent, icon: b.querySelector('svg.icon')?.dataset.icon }));
  if (rotateBtn.icon !== 'play' || /[\u2190-\u2bff]/.test(rotateBtn.text)) await fail(step, `the rotate button is ${JSON.stringify(rotateBtn)}`);
  await wall.click('#rotate-btn');
  const paused = await wall.$eval('#rotate-btn', (b) => b.querySelector('svg.icon')?.dataset.icon);
  if (paused !== 'pause') await fail(step, `after a click the rotate button shows ${paused}`);
  await wall.click('#rotate-btn');
  log(`wall: ${states} panels with data`);
  await wall.screenshot({ path: join(shots, 'wall.png') });

  // ---------------------------------------------------------- 2. a value changes after events are pushed
  step = 'a value changes after events are pushed';
  const tPush = Date.now();
  await push([event('X01', 'SO_YT', 'traffic', 1000), event('X02', 'SO_YT', 'traffic', 2000), event('X04', 'UBND_XA', 'flood', 3000)]);
  await waitIn(wall, 'the KPI reads 43', (f) => document.querySelector('.page.active .panel-kpi[data-scenario="totals"]')?.dataset.value === '43', null, 10000);
  const big = await wall.$eval('.panel-kpi[data-scenario="totals"] .kpi-value', (e) => e.textContent);
  if (big !== '43') await fail(step, `the KPI text is ${JSON.stringify(big)}`);
  log(`wall: KPI 40 -> 43 in ${Date.now() - tPush} ms`);

  // Bounded: a stream of updates does not grow the page (ranking items and charts are reused, tables replaced).
  step = 'updates do not grow the page';
  const size = () => ({ nodes: document.getElementsByTagName('*').length, canvases: document.getElementsByTagName('canvas').length });
  await wall.evaluate(() => new Promise((r) => setTimeout(r, 600)));
  const s0 = await wall.evaluate(size);
  for (let i = 0; i < 12; i++) {
    await push([event(communes[i % 4], agencies[i % 3], 'traffic', 5)]);
    await new Promise((r) => setTimeout(r, 250));
  }
  await waitIn(wall, 'the KPI reads 55', () => document.querySelector('.page.active .panel-kpi[data-scenario="totals"]')?.dataset.value === '55', null, 10000);
  const s1 = await wall.evaluate(size);
  if (s1.nodes > s0.nodes + 10 || s1.canvases !== s0.canvases) await fail(step, `page grew: ${JSON.stringify(s0)} -> ${JSON.stringify(s1)}`);
  log(`bounded: ${s0.nodes} -> ${s1.nodes} elements, ${s1.canvases} canvases after 12 updates`);

  // ---------------------------------------------------------- 3. alerts stand out; an acknowledgement shows on every screen
  step = 'alerts and acknowledgement';
  const wall2 = await newPage({ width: 1280, height: 720 }, 'wall2');
  await wall2.goto(`${base}/?rotate=0`);
  await waitIn(wall2, 'the second wall has data', () => document.querySelector('.panel-kpi')?.dataset.value === '55');
  // 3 more reports: the KPI reads 58 from here on.
  await push([event('X03', 'SO_YT', 'fire', 1), event('X03', 'SO_YT', 'fire', 1), event('X03', 'SO_YT', 'fire', 1)]);
  await waitIn(wall, 'a critical alert in the ticker and the alerts panel', () =>
    document.getElementById('ticker').dataset.worst === 'critical' && document.querySelector('.panel-alerts .alert-item.sev-critical:not(.acked) .ack-btn'));
  await waitIn(wall2, 'the alert on the second wall', () => document.querySelector('.alert-item.sev-critical'));
  await wall.click('.panel-alerts .alert-item.sev-critical .ack-btn');
  await waitIn(wall2, 'the acknowledgement on the second wall', () => document.querySelector('.alert-item.sev-critical.acked .alert-acked') && document.querySelector('.ticker-item.acked'));
  await waitIn(wall, 'the acknowledgement on the first wall', () => document.querySelector('.alert-item.sev-critical.acked'));
  log('alerts: fired, acknowledged on one wall, shown as acknowledged on the other');
  await wall2.close();

  // ---------------------------------------------------------- 4. English, and a panel naming a missing scenario
  step = 'English and missing scenario';
  const en = await newPage({ width: 1280, height: 720 }, 'wall-en');
  await en.goto(`${base}/?lang=en&rotate=0&page=2`);
  await waitIn(en, 'English title', () => document.getElementById('dash-title').textContent === 'Operations centre — Test');
  await waitIn(en, 'the missing scenario is named in its panel', () => {
    const p = document.querySelector('.page.active .panel');
    return p?.dataset.state === 'missing' && p.textContent.includes('No such scenario “does_not_exist”');
  });
  await en.goto(`${base}/?rotate=0`); // the choice persists without ?lang
  await waitIn(en, 'English persisted', () => document.documentElement.lang === 'en' && /^as of \d\d:\d\d:\d\d$/.test(document.querySelector('.panel-kpi .panel-asof')?.textContent || ''));
  const enNumber = await en.evaluate(() => { const e = document.querySelectorAll('.panel-kpi')[1]; return e?.querySelector('.kpi-value').textContent; });
  log(`english: ok (compact total ${enNumber})`);
  await en.close();

  // ---------------------------------------------------------- 5. stale (amber) when the server stops answering, red when it is down, recovery
  step = 'stale when no heartbeat';
  allowNetErrors = true;
  server.kill('SIGSTOP');
  const tStop = Date.now();
  await waitIn(wall, 'panels turn amber (stale) with no heartbeat', () =>
    [...document.querySelectorAll('.page.active .panel[data-scenario]')].every((p) => p.dataset.state === 'stale'), null, 19000);
  log(`stale: amber after ${((Date.now() - tStop) / 1000).toFixed(1)} s without heartbeats`);
  await wall.screenshot({ path: join(shots, 'wall-stale.png') });
  server.kill('SIGCONT');
  await waitIn(wall, 'panels recover after the server resumes', () =>
    [...document.querySelectorAll('.page.active .panel')].every((p) => p.dataset.state === 'ok'), null, 25000);
  log('stale: recovered');

  step = 'red when the server stops, recovery on restart';
  const before = await wall.evaluate(kpiValue);
  await stopServer('SIGTERM');
  await waitIn(wall, 'panels turn red and keep their values', (kept) => {
    const ps = [...document.querySelectorAll('.page.active .panel[data-scenario]')];
    const ok = document.getElementById('conn').dataset.state === 'down' && ps.every((p) => p.dataset.state === 'down') &&
      document.querySelector('.panel-kpi .kpi-value').textContent === kept;
    return ok || { error: JSON.stringify({ conn: document.getElementById('conn').dataset.state, states: ps.map((p) => p.dataset.state), kpi: document.querySelector('.panel-kpi .kpi-value').textContent }) };
  }, before, 10000);
  log('down: every panel red, values kept');
  await wall.screenshot({ path: join(shots, 'wall-down.png') });
  await new Promise((r) => setTimeout(r, 1500));
  await startServer(`127.0.0.1:${port}`);
  const tUp = Date.now();
  await waitIn(wall, 'panels recover after the restart', () => {
    const ps = [...document.querySelectorAll('.page.active .panel')];
    return (document.getElementById('conn').dataset.state === 'open' && ps.every((p) => p.dataset.state === 'ok')) ||
      { error: JSON.stringify({ conn: document.getElementById('conn').dataset.state, states: ps.map((p) => `${p.dataset.scenario}:${p.dataset.state}:${p.dataset.hasData}`) }) };
  }, null, 25000);
  const after = await wall.evaluate(kpiValue);
  // Whatever the store kept, push the same events again: ids already stored are duplicates, lost ones come back.
  await push(sent);
  await waitIn(wall, 'every panel has data after the restart', () =>
    [...document.querySelectorAll('.page.active .panel')].every((p) => p.dataset.state === 'ok' && p.dataset.hasData === '1'), null, 10000);
  log(`restart: recovered ${((Date.now() - tUp) / 1000).toFixed(1)} s after the restart (KPI ${before} -> ${after}${after === before ? ', kept by the WAL' : ''})`);
  allowNetErrors = false;

  // ---------------------------------------------------------- 6. the tablet's filter shows only the chosen commune
  step = 'tablet filter';
  const tablet = await newPage({ width: 820, height: 1180 }, 'tablet');
  await tablet.goto(`${base}/tablet.html`);
  await waitIn(tablet, 'tablet ready with data', () => document.body.dataset.ready === '1' &&
    [...document.querySelectorAll('.tb-panels .panel')].every((p) => p.dataset.state === 'ok' && p.dataset.hasData === '1') &&
    document.querySelectorAll('#f-commune option').length === 5);
  const allRows = await tablet.$$eval('.panel[data-scenario="by_commune"][data-filters="commune_code"] .rank-item', (l) => l.length);
  if (allRows !== 4) await fail(step, `unfiltered ranking has ${allRows} rows, expected 4`);
  await tablet.screenshot({ path: join(shots, 'tablet.png'), fullPage: true });
  await tablet.selectOption('#f-commune', 'X02');
  await waitIn(tablet, 'only Xã Tân Hòa in the commune ranking', () => {
    const items = [...document.querySelectorAll('.panel[data-scenario="by_commune"][data-filters="commune_code"] .rank-item')];
    return items.length === 1 && items[0].dataset.key === 'X02' && items[0].textContent.includes('Xã Tân Hòa');
  });
  // The province-wide panel of the same scenario, on the same connection (a subscription with an `id`), keeps every commune.
  const provinceRows = await tablet.$$eval('.panel[data-scenario="by_commune"][data-filters=""] .rank-item', (l) => l.length);
  if (provinceRows !== 4) await fail(step, `the province-wide commune ranking has ${provinceRows} rows, expected 4`);
  const communeSubs = await tablet.evaluate(() => [...window.__ioc.live.subs.values()].filter((s) => s.scenario === 'by_commune').map((s) => s.id));
  if (communeSubs.length !== 2 || communeSubs.some((id) => !id)) await fail(step, `by_commune subscriptions: ${JSON.stringify(communeSubs)}`);
  const agencyRows = await tablet.$$eval('.panel[data-scenario="by_agency"] .rank-item', (l) => l.length);
  if (agencyRows !== 3) await fail(step, `the agency ranking (not filtered by commune) has ${agencyRows} rows`);
  if (!tablet.url().includes('commune=X02')) await fail(step, `the filter is not in the URL: ${tablet.url()}`);
  await tablet.screenshot({ path: join(shots, 'tablet-filtered.png'), fullPage: true });
  await tablet.setViewportSize({ width: 390, height: 844 });
  await tablet.waitForTimeout(300);
  await tablet.screenshot({ path: join(shots, 'tablet-phone.png'), fullPage: true });
  log('tablet: filter X02 -> 1 row');
  await tablet.close();

  // ---------------------------------------------------------- 7. a scenario written in the console appears on a dashboard
  step = 'console';
  const con = await newPage({ width: 1600, height: 1000 }, 'console');
  await con.goto(`${base}/console.html`);
  await waitIn(con, 'the scenario list', () => document.querySelectorAll('#scenario-list li').length >= 6);
  await waitIn(con, 'the catalog', () => document.querySelectorAll('#catalog li').length === 3);
  const setSql = (text) => con.evaluate((t) => { const v = window.__editor; v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t }, selection: { anchor: t.length } }); v.focus(); }, text);
  // Completion of table names from the catalog.
  await setSql('SELECT * FROM ');
  await con.keyboard.type('rep');
  await waitIn(con, 'completion offers the stream `reports`', () => [...document.querySelectorAll('.cm-tooltip-autocomplete li')].some((li) => li.textContent.includes('reports')));
  await con.keyboard.press('Escape');
  await setSql('SELECT ');
  await con.keyboard.type('commu');
  await waitIn(con, 'completion offers the column `commune_code`', () => [...document.querySelectorAll('.cm-tooltip-autocomplete li')].some((li) => li.textContent.includes('commune_code')));
  await con.keyboard.press('Escape');
  await con.fill('#f-name', 'reports_by_kind');
  await con.fill('#f-title', 'Báo cáo theo loại — Reports by kind');
  await con.fill('#f-key', 'kind');
  allowNetErrors = true; // the 400 of a bad SQL is logged by Chromium
  await setSql('SELECT kind, count(*) AS reports\nFROM reportz\nGROUP BY kind');
  const err = await waitIn(con, 'the error is marked at its line and column', () => {
    const v = document.getElementById('validation');
    const mark = document.querySelector('.cm-lintRange-error');
    return v.dataset.state === 'error' && mark && v.textContent.includes('dòng 2') && mark.textContent;
  });
  if (err !== 'reportz') await fail(step, `the marked text is ${JSON.stringify(err)}`);
  await con.screenshot({ path: join(shots, 'console-error.png') });
  await setSql('SELECT kind, count(*) AS reports, sum(value) AS total\nFROM reports\nGROUP BY kind');
  await waitIn(con, 'the SQL validates', () => document.getElementById('validation').dataset.state === 'ok' && !document.querySelector('.cm-lintRange-error'));
  allowNetErrors = false;
  await con.click('#preview-btn');
  await waitIn(con, 'the preview shows rows', () => document.querySelectorAll('#preview tbody tr').length === 3);
  await con.click('#save-btn');
  await waitIn(con, 'the saved scenario is listed', () => document.querySelector('#scenario-list li[data-name="reports_by_kind"]'));
  await con.selectOption('#d-name', 'overview');
  await con.selectOption('#d-page', 'new');
  await con.selectOption('#d-type', 'ranking');
  await con.click('#d-add');
  await waitIn(con, 'added to the dashboard', () => /reports_by_kind/.test(document.getElementById('toast').textContent) && document.getElementById('toast').dataset.kind === 'ok');
  await con.click('#scenario-list li[data-name="totals"]');
  await waitIn(con, 'cost shown', () => document.querySelector('#scenario-list li[data-name="totals"] .stat b')?.textContent.includes('ms'));
  await con.click('#scenario-list li[data-name="reports_by_kind"]');
  await con.click('#preview-btn');
  await waitIn(con, 'the preview shows rows', () => document.querySelectorAll('#preview tbody tr').length === 3);
  await con.screenshot({ path: join(shots, 'console.png') });
  await con.close();

  await wall.goto(`${base}/?rotate=0&page=3`);
  await waitIn(wall, 'the new scenario is on the wall', () => {
    const p = document.querySelector('.page.active .panel[data-scenario="reports_by_kind"]');
    return p && p.dataset.state === 'ok' && p.querySelectorAll('.rank-item').length === 3 && p.querySelector('.panel-title').textContent === 'Báo cáo theo loại';
  });
  log('console: validated, previewed, saved, added to the dashboard, shown on the wall');
  await wall.goto(`${base}/?rotate=0&page=1`);
  await waitIn(wall, 'page 1 again', () => [...document.querySelectorAll('.page.active .panel')].every((p) => p.dataset.state === 'ok' && p.dataset.hasData === '1'));
  await wall.waitForTimeout(1200);
  await wall.screenshot({ path: join(shots, 'wall.png') });

  // ---------------------------------------------------------- 8. with tokens: the header to the REST API, ?token= only to /ws
  step = 'with tokens, the pages send the token as a header to the REST API and in the URL only to /ws';
  allowNetErrors = true; // the pages above lose their server
  await browser.close();
  await stopServer('SIGTERM');
  const TOKEN = 'browser-analyst-0123456789';
  const config = join(work, 'tokens.toml');
  writeFileSync(config, `[[tokens]]\ntoken = "${TOKEN}"\nrole = "analyst"\nname = "browser"\n`);
  await startServer(`127.0.0.1:${port}`, ['--config', config]);
  allowNetErrors = false;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const tw = await newPage({ width: 1920, height: 1080 }, 'wall-token');
  const calls = [];
  const sockets = [];
  tw.on('request', (r) => calls.push({ url: r.url(), auth: r.headers().authorization || '' }));
  tw.on('websocket', (w) => sockets.push(w.url()));
  await tw.goto(`${base}/?rotate=0&token=${TOKEN}`);
  await waitIn(tw, 'every panel of page 1 is ok and has data with a token', () => {
    const ps = [...document.querySelectorAll('.page.active .panel')];
    return ps.length === 7 && ps.every((p) => p.dataset.state === 'ok' && p.dataset.hasData === '1');
  });
  const rest = calls.filter((c) => new URL(c.url).pathname.startsWith('/api/'));
  if (!rest.length) await fail(step, 'the wall made no REST call');
  const inUrl = rest.filter((c) => new URL(c.url).searchParams.has('token'));
  if (inUrl.length) await fail(step, `a token in REST URLs: ${inUrl.map((c) => c.url).join(', ')}`);
  const noHeader = rest.filter((c) => c.auth !== `Bearer ${TOKEN}`);
  if (noHeader.length) await fail(step, `REST calls without the header: ${noHeader.map((c) => c.url).join(', ')}`);
  if (!sockets.some((u) => new URL(u).pathname === '/ws' && new URL(u).searchParams.get('token') === TOKEN)) {
    await fail(step, `no /ws with ?token=: ${JSON.stringify(sockets)}`);
  }
  // The console posts JSON (validate, preview) with the header.
  const tc = await newPage({ width: 1600, height: 1000 }, 'console-token');
  await tc.goto(`${base}/console.html?token=${TOKEN}`);
  await waitIn(tc, 'the console lists the scenarios with a token', () => document.querySelectorAll('#scenario-list li').length > 0);
  await tc.click('#scenario-list li[data-name="totals"]');
  await tc.click('#preview-btn');
  await waitIn(tc, 'the preview shows rows with a token', () => document.querySelectorAll('#preview tbody tr').length >= 1);
  log(`tokens: ${rest.length} REST calls with the header and none with ?token=; /ws with ?token=; console preview works`);

  step = 'no console errors';
  if (problems.length) await fail(step, '\n  ' + problems.join('\n  '));
  await cleanup();
  log(`all browser checks passed; screenshots in ${shots}`);
}

process.on('unhandledRejection', (e) => fail(step, e?.stack || String(e)));
main().catch((e) => fail(step, e?.stack || String(e)));
