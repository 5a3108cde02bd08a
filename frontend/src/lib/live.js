// One WebSocket to /ws for the whole page: subscriptions, snapshot + delta state per scenario,
// reconnection with exponential backoff and jitter, resume by epoch/seq, heartbeat-based liveness.
//
// Freshness ("can we vouch the value is current?"), per subscription:
// - `vouchedAt` (local clock) moves forward on every snapshot/delta of that scenario, and on every
//   heartbeat of a connection on which the subscription is live (a scenario whose result did not change
//   sends nothing; the heartbeat proves that nothing was missed).
// - A panel is amber ("stale") when `now - vouchedAt` is more than three intervals of its scenario
//   (every_ms, but never less than three heartbeats, 15 s, since a quiet scenario is vouched only by
//   heartbeats), or when the scenario reports an evaluation error; red while the connection is down.
import { wsUrl } from './api.js';

export const HEARTBEAT_MS = 5000;
const DEAD_AFTER_MS = 4 * HEARTBEAT_MS; // no frame at all for this long (heartbeats every 5 s): the link is dead
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;

export function rowKey(row, keyIdx) {
  return keyIdx.length ? JSON.stringify(keyIdx.map((i) => row[i])) : '';
}

/** The key of a subscription in `Live.subs`: its id when it has one (ids are the client's names). */
export function subKey(scenario, id) {
  return id != null ? `#${id}` : scenario;
}

export class Subscription {
  constructor(live, scenario, filter, id = null) {
    this.live = live;
    this.scenario = scenario;
    this.id = id; // the client's name for it: one page may follow one scenario with several filters
    this.key = subKey(scenario, id);
    this.filter = filter || null;
    this.columns = null; // [{name,type}]
    this.key = [];
    this.keyIdx = [];
    this.rows = new Map(); // key string -> row (unkeyed: index -> row)
    this.epoch = null;
    this.seq = 0;
    this.evaluatedAt = null; // server time of the last evaluation that changed the result
    this.asOf = null; // server time up to which the value is vouched (evaluation or heartbeat)
    this.vouchedAt = 0; // local ms
    this.liveOnConn = false;
    this.subscribedAt = 0;
    this.error = null; // {code, message}
    this.listeners = new Set();
  }
  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  emit(kind) { for (const fn of this.listeners) fn(this, kind); }
  col(name) { return this.columns ? this.columns.findIndex((c) => c.name === name) : -1; }
  list() { return [...this.rows.values()]; }
  hasData() { return this.columns !== null; }
  /** Age in ms of the last vouched moment. */
  age(now = Date.now()) { return this.vouchedAt ? now - this.vouchedAt : Infinity; }

  applySnapshot(m) {
    this.columns = m.columns;
    this.key = m.key || [];
    this.keyIdx = this.key.map((k) => m.columns.findIndex((c) => c.name === k));
    this.rows = new Map();
    m.rows.forEach((r, i) => this.rows.set(this.keyIdx.length ? rowKey(r, this.keyIdx) : String(i), r));
    this.epoch = m.epoch;
    this.seq = m.seq;
    this.touch(m);
    this.emit('snapshot');
  }
  applyDelta(m) {
    for (const k of m.delete || []) this.rows.delete(JSON.stringify(k));
    for (const r of m.upsert || []) this.rows.set(rowKey(r, this.keyIdx), r);
    this.seq = m.seq;
    this.touch(m);
    this.emit('delta');
  }
  touch(m) {
    this.error = null;
    this.evaluatedAt = m.evaluated_at || this.evaluatedAt;
    this.asOf = m.evaluated_at || this.asOf;
    this.vouchedAt = Date.now();
    this.liveOnConn = true;
  }
  message() {
    const m = { op: 'subscribe', scenario: this.scenario };
    if (this.id != null) m.id = this.id;
    if (this.filter && Object.keys(this.filter).length) m.filter = this.filter;
    if (this.epoch && this.seq && !m.filter) m.resume = { epoch: this.epoch, seq: this.seq };
    return m;
  }
}

export class Live {
  constructor() {
    this.subs = new Map(); // subKey(scenario, id) -> Subscription
    this.state = 'connecting';
    this.retryAt = 0;
    this.attempt = 0;
    this.ws = null;
    this.lastFrameAt = 0;
    this.lastHeartbeat = null; // server_time
    this.statusListeners = new Set();
    this.alertListeners = new Set();
    this.heartbeatListeners = new Set();
    this.wantAlerts = false;
    this.alertsSubscribedAt = 0;
    this.timer = setInterval(() => this.watchdog(), 1000);
    this.connect();
  }

  onStatus(fn) { this.statusListeners.add(fn); fn(this.state, this); return () => this.statusListeners.delete(fn); }
  onAlert(fn) { this.alertListeners.add(fn); return () => this.alertListeners.delete(fn); }
  onHeartbeat(fn) { this.heartbeatListeners.add(fn); return () => this.heartbeatListeners.delete(fn); }

  setState(s) {
    this.state = s;
    for (const fn of this.statusListeners) fn(s, this);
  }

  /**
   * The subscription of a scenario, or with `id` one of several of the same scenario (created and sent
   * once; a different filter starts it over).
   */
  subscribe(scenario, filter = null, id = null) {
    const key = subKey(scenario, id);
    let sub = this.subs.get(key);
    const same = sub && JSON.stringify(sub.filter || null) === JSON.stringify(filter || null);
    if (sub && same) return sub;
    if (sub) {
      // New filter: same object (listeners keep working), state starts over.
      sub.filter = filter;
      sub.columns = null; sub.rows = new Map(); sub.epoch = null; sub.seq = 0; sub.liveOnConn = false;
      sub.emit('reset');
    } else {
      sub = new Subscription(this, scenario, filter, id);
      this.subs.set(key, sub);
    }
    this.sendSub(sub);
    return sub;
  }
  /** Ends the subscription of that key (see `subKey`). */
  unsubscribe(key) {
    const sub = this.subs.get(key);
    if (!sub) return;
    this.subs.delete(key);
    const m = { op: 'unsubscribe', scenario: sub.scenario };
    if (sub.id != null) m.id = sub.id;
    this.send(m);
  }
  subscribeAlerts() {
    this.wantAlerts = true;
    if (this.state === 'open') this.sendAlerts();
  }
  sendAlerts() {
    this.alertsSubscribedAt = Date.now();
    for (const fn of this.alertListeners) fn({ type: 'alerts_resubscribed' });
    this.send({ op: 'subscribe', scenario: 'alerts' });
  }
  sendSub(sub) {
    if (this.state !== 'open') return;
    sub.subscribedAt = Date.now();
    sub.liveOnConn = false;
    this.send(sub.message());
  }
  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  connect() {
    // The first connection is "connecting"; after a loss the state stays "down" (red) until a link is open again.
    if (this.state !== 'down') this.setState('connecting');
    let ws;
    try { ws = new WebSocket(wsUrl()); } catch { this.scheduleReconnect(); return; }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      this.setState('open');
      for (const sub of this.subs.values()) this.sendSub(sub);
      if (this.wantAlerts) this.sendAlerts();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      this.handle(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const sub of this.subs.values()) sub.liveOnConn = false;
      this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  scheduleReconnect() {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2); // "equal jitter"
    this.attempt = Math.min(this.attempt + 1, 10);
    this.retryAt = Date.now() + delay;
    this.setState('down');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  watchdog() {
    const now = Date.now();
    if (this.state === 'open' && now - this.lastFrameAt > DEAD_AFTER_MS) {
      // Half-open link (no heartbeat for three periods): drop it and reconnect.
      const ws = this.ws;
      this.ws = null;
      try { ws.close(); } catch { /* already closing */ }
      for (const sub of this.subs.values()) sub.liveOnConn = false;
      this.scheduleReconnect();
    } else if (this.state === 'down') {
      this.setState('down'); // refreshes the countdown
    }
  }

  handle(m) {
    switch (m.type) {
      case 'snapshot':
      case 'delta': {
        const sub = this.subs.get(subKey(m.scenario, m.id));
        if (!sub) return;
        this.attempt = 0;
        if (m.type === 'snapshot') { sub.applySnapshot(m); return; }
        if (!sub.columns) return; // a delta of a subscription being replaced: its snapshot follows
        if (m.epoch !== sub.epoch || m.seq !== sub.seq + 1) {
          if (m.seq <= sub.seq && m.epoch === sub.epoch) return; // already applied
          // A gap or a new epoch: start over with a fresh snapshot.
          sub.epoch = null; sub.seq = 0;
          this.sendSub(sub);
          return;
        }
        sub.applyDelta(m);
        return;
      }
      case 'heartbeat': {
        this.attempt = 0;
        this.lastHeartbeat = m.server_time;
        const now = Date.now();
        for (const sub of this.subs.values()) {
          if (sub.error) continue;
          // A resume that missed nothing gets no reply: live once a heartbeat follows the subscribe.
          if (!sub.liveOnConn && sub.columns && sub.subscribedAt && now - sub.subscribedAt > 1000) sub.liveOnConn = true;
          if (sub.liveOnConn) {
            sub.vouchedAt = now;
            sub.asOf = m.server_time;
            sub.emit('heartbeat');
          }
        }
        for (const fn of this.heartbeatListeners) fn(m);
        for (const fn of this.alertListeners) fn(m);
        return;
      }
      case 'alert':
      case 'alert_ack':
        for (const fn of this.alertListeners) fn(m);
        return;
      case 'error': {
        const sub = m.scenario && this.subs.get(subKey(m.scenario, m.id));
        if (sub) {
          sub.error = { code: m.code, message: m.message };
          sub.liveOnConn = false;
          sub.emit('error');
        } else {
          console.warn('ioc-stream:', m.code, m.message);
        }
        return;
      }
      default:
    }
  }
}
