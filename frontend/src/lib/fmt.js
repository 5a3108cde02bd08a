// Numbers in the locale's way, times in the province's time zone.
import { locale } from './i18n.js';

export const TZ = 'Asia/Ho_Chi_Minh';
const cache = new Map();
function nf(opts) {
  const k = JSON.stringify(opts);
  let f = cache.get(k);
  if (!f) { f = new Intl.NumberFormat(locale(), opts); cache.set(k, f); }
  return f;
}
const timeFmt = new Intl.DateTimeFormat(locale(), { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const hmFmt = new Intl.DateTimeFormat(locale(), { timeZone: TZ, hour: '2-digit', minute: '2-digit', hour12: false });
const dateTimeFmt = new Intl.DateTimeFormat(locale(), { timeZone: TZ, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const monthFmt = new Intl.DateTimeFormat(locale(), { timeZone: TZ, month: '2-digit', year: 'numeric' });
const dateFmt = new Intl.DateTimeFormat(locale(), { timeZone: TZ, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

const toDate = (v) => (v instanceof Date ? v : new Date(v));
export const fmtTime = (v) => (v == null ? '—' : timeFmt.format(toDate(v)));
export const fmtHM = (v) => (v == null ? '—' : hmFmt.format(toDate(v)));
export const fmtDateTime = (v) => (v == null ? '—' : dateTimeFmt.format(toDate(v)));
export const fmtMonth = (v) => (v == null ? '—' : monthFmt.format(toDate(v)));
export const fmtDate = (v) => dateFmt.format(toDate(v));

/**
 * A value with a display hint: `number` (default), `percent` (the value is in percentage points, 0–100),
 * `ratio` (0–1 shown as a percentage), `duration` (seconds), `vnd` (compact đồng), `compact`.
 */
export function fmtValue(v, format, type) {
  if (v == null || v === '') return '—';
  if (typeof v === 'boolean') return v ? '✓' : '✗';
  if (type === 'timestamp_ms' || (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v))) return fmtDateTime(v);
  if (typeof v !== 'number') return String(v);
  switch (format) {
    case 'percent': return nf({ maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(v) + ' %';
    case 'ratio': return nf({ style: 'percent', maximumFractionDigits: 1 }).format(v);
    case 'duration': return fmtDuration(v);
    case 'vnd': return nf({ notation: 'compact', maximumFractionDigits: 1 }).format(v) + ' ₫';
    case 'compact': return nf({ notation: 'compact', maximumFractionDigits: 1 }).format(v);
    default: return nf({ maximumFractionDigits: Number.isInteger(v) ? 0 : 2 }).format(v);
  }
}
export function fmtDuration(sec) {
  const s = Math.round(sec);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}` : m ? `${m}′${String(r).padStart(2, '0')}″` : `${r}″`;
}
export const fmtMs = (v) => (v == null ? '—' : nf({ maximumFractionDigits: v < 10 ? 1 : 0 }).format(v) + ' ms');
export const fmtInt = (v) => (v == null ? '—' : nf({ maximumFractionDigits: 0 }).format(v));
/** A signed change: "+1.234" / "−12,5". */
export function fmtDelta(d, format) {
  if (d == null || !isFinite(d)) return '';
  const body = format === 'percent' ? nf({ maximumFractionDigits: 1 }).format(Math.abs(d)) + ' đ.%'.replace(' đ.%', locale() === 'vi-VN' ? ' điểm %' : ' pt')
    : fmtValue(Math.abs(d), format === 'vnd' || format === 'compact' ? format : undefined);
  return (d > 0 ? '+' : d < 0 ? '−' : '±') + body;
}
