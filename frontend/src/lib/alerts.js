// The firing alerts the `alerts` topic tells about, their acknowledgements, and an optional beep.
import { api } from './api.js';

const SEV_RANK = { critical: 0, warning: 1, info: 2 };
const SOUND_KEY = 'ioc.sound';

export const alertId = (scenario, key) => `${scenario}\u0000${JSON.stringify(key || [])}`;

export class Alerts {
  constructor(live) {
    this.live = live;
    this.firing = new Map(); // id -> {scenario, severity, key, row, at, acked_by, acked_at, gen}
    this.gen = 0;
    this.listeners = new Set();
    this.sound = safeGet(SOUND_KEY) === '1';
    this.audio = null;
    this.settled = false; // the replay of firing alerts after (re)subscribing is over
    live.onAlert((m) => this.handle(m));
    live.subscribeAlerts();
  }
  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  emit() { for (const fn of this.listeners) fn(this); }

  list() {
    return [...this.firing.values()].sort((a, b) =>
      (!!a.acked_by - !!b.acked_by) || (SEV_RANK[a.severity] ?? 3) - (SEV_RANK[b.severity] ?? 3) || String(b.at).localeCompare(String(a.at)));
  }

  handle(m) {
    if (m.type === 'alerts_resubscribed') {
      // The topic replays what fires now: alerts of the old generation not replayed by the next heartbeat are gone.
      this.gen += 1;
      this.settled = false;
      return;
    }
    if (m.type === 'heartbeat') {
      if (!this.settled && Date.now() - this.live.alertsSubscribedAt > 500) {
        this.settled = true;
        let changed = false;
        for (const [id, a] of this.firing) if (a.gen !== this.gen) { this.firing.delete(id); changed = true; }
        if (changed) this.emit();
      }
      return;
    }
    const id = alertId(m.scenario, m.key);
    if (m.type === 'alert') {
      if (m.state === 'resolved') {
        this.firing.delete(id);
      } else {
        const isNew = !this.firing.has(id);
        this.firing.set(id, { ...m, acked_by: m.acked_by ?? null, acked_at: m.acked_at ?? null, gen: this.gen, id });
        // Beep for a new alert, not for the ones replayed when the page (re)connects.
        if (isNew && this.settled && !m.acked_by) this.beep(m.severity);
      }
      this.emit();
    } else if (m.type === 'alert_ack') {
      const a = this.firing.get(id);
      if (a) { a.acked_by = m.acked_by; a.acked_at = m.acked_at; this.emit(); }
    }
  }

  async ack(a) {
    const res = await api('/api/v1/alerts/ack', { method: 'POST', body: { scenario: a.scenario, key: a.key } });
    const cur = this.firing.get(a.id);
    if (cur && res) { cur.acked_by = res.acked_by; cur.acked_at = res.acked_at; this.emit(); }
  }

  setSound(on) {
    this.sound = on;
    safeSet(SOUND_KEY, on ? '1' : '0');
    if (on) { this.ensureAudio(); this.beep('info'); }
  }
  ensureAudio() {
    if (!this.audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      this.audio = new Ctx();
    }
    if (this.audio.state === 'suspended') this.audio.resume().catch(() => {});
    return this.audio;
  }
  beep(severity) {
    if (!this.sound) return;
    const ctx = this.ensureAudio();
    if (!ctx) return;
    const tones = severity === 'critical' ? [880, 660, 880] : severity === 'warning' ? [740, 740] : [600];
    let t = ctx.currentTime + 0.02;
    for (const f of tones) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.25);
      osc.onended = () => { osc.disconnect(); gain.disconnect(); };
      t += 0.3;
    }
  }
}

function safeGet(k) { try { return localStorage.getItem(k); } catch { return null; } }
function safeSet(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode */ } }
