// ioc-stream analyst console: write a scenario's SQL, validate it as you type, preview it once, save it,
// and watch the scenarios the server runs.
//
// Plain ES module, no dependencies, no build step. Two halves, like app.js:
//   1. pure functions (exported): request bodies from form values, error positions, formatting. They never
//      touch the DOM, so node can import and test them.
//   2. the browser app. It only starts when a `document` exists.
// app.js is not imported: it boots the wall as soon as a document exists, so the few helpers shared with
// it (time zone, column kinds) are repeated here.
// API: GET /api/v1/streams, GET /api/v1/scenarios, POST /api/v1/scenarios/validate, POST /api/v1/query,
// PUT and DELETE /api/v1/scenarios/{name}. See docs/protocol.md.

export const TZ = 'Asia/Ho_Chi_Minh';
export const VIEWS = ['kpi', 'ranking', 'timeseries', 'table'];
export const SEVERITIES = ['info', 'warning', 'critical'];
export const NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;
export const EVERY_MIN_MS = 100;
export const EVERY_MAX_MS = 3600000;
export const DEFAULT_EVERY_S = '2';
export const DRAFT_NAME = 'draft';
export const PREVIEW_LIMIT = 200;
export const VALIDATE_DEBOUNCE_MS = 400;
export const LIST_REFRESH_MS = 3000;
export const CATALOG_REFRESH_MS = 30000;
export const INDENT = '  ';
export const MAX_TITLE_BYTES = 200;    // the server's limits, in UTF-8 bytes
export const MAX_SQL_BYTES = 64 * 1024;

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

// ---------------------------------------------------------------------------------------------------
// UI strings
// ---------------------------------------------------------------------------------------------------

export const STRINGS = {
  vi: {
    title: 'Soạn kịch bản — IOC',
    navWall: 'Màn hình giám sát',
    navConsole: 'Soạn kịch bản',
    catalog: 'Danh mục dữ liệu',
    catalogHint: 'Bấm tên luồng hoặc tên cột để chèn vào câu lệnh tại con trỏ.',
    refNote: 'Có thể JOIN các bảng tham chiếu (communes, agencies, procedures, …) theo mã, ví dụ:',
    streamsLoading: 'Đang tải danh mục…',
    streamsFailed: 'Không tải được danh mục luồng, đang thử lại…',
    noStreams: 'Chưa có luồng nào',
    rows: (n) => `${n} dòng`,
    streamMeta: (ret, seg) => `lưu ${ret} · ${seg} phân đoạn`,
    eventTime: 'thời gian sự kiện',
    idCol: 'khóa chống trùng',
    nullable: 'có thể NULL',
    insert: 'Chèn vào câu lệnh',
    sql: 'Câu lệnh SQL',
    editorHint: 'Ctrl+Enter: xem trước · Tab: 2 dấu cách (Esc rồi Tab: rời ô soạn)',
    sqlPlaceholder: "SELECT agency_code, count(*) AS overdue\nFROM dossiers\nWHERE status = 'received' AND due_at < now()\nGROUP BY agency_code",
    preview: 'Xem trước',
    running: 'Đang chạy…',
    vEmpty: 'Nhập câu lệnh SQL để kiểm tra.',
    vChecking: 'Đang kiểm tra…',
    vOk: (n, cols) => `OK — ${n} cột: ${cols}`,
    vAt: (l, c) => `Dòng ${l}, cột ${c}`,
    vJump: 'bấm để đến vị trí lỗi',
    saveTitle: 'Lưu kịch bản',
    name: 'Tên',
    namePh: 'vd. ho_so_qua_han',
    nameHelp: 'chữ thường, số, _; bắt đầu bằng chữ; tối đa 64 ký tự',
    titleField: 'Tiêu đề',
    titlePh: 'Hiển thị trên màn hình giám sát',
    trigger: 'Chạy',
    triggerInterval: 'định kỳ',
    triggerChange: 'khi luồng đầu vào có dữ liệu mới',
    everyLabel: 'mỗi',
    seconds: 'giây',
    everyHelpInterval: 'Chạy lại câu lệnh theo chu kỳ này (0,1–3600 giây).',
    everyHelpChange: 'Kiểm tra dữ liệu mới theo chu kỳ này; các lần nhận trong một chu kỳ được gộp thành một lần chạy.',
    key: 'Khóa (các cột xác định một dòng)',
    keyPh: 'vd. agency_code, commune_code',
    keyHelp: 'Cột kết quả:',
    keyNoCols: 'chưa có — hãy viết câu lệnh hợp lệ',
    view: 'Kiểu hiển thị',
    views: { kpi: 'kpi — chỉ số', ranking: 'ranking — xếp hạng', timeseries: 'timeseries — chuỗi thời gian', table: 'table — bảng' },
    alert: 'Cảnh báo khi (không bắt buộc)',
    alertPh: 'overdue >= 20',
    alertHelp: 'vd. `overdue >= 20` — một điều kiện trên các cột kết quả; để trống nếu không cần cảnh báo.',
    severities: { info: 'info — thông tin', warning: 'warning — cảnh báo', critical: 'critical — nghiêm trọng' },
    save: 'Lưu',
    saving: 'Đang lưu…',
    newBtn: 'Mới',
    saved: (n) => `Đã lưu kịch bản “${n}”.`,
    saveFailed: 'Lưu không thành công',
    fixFields: 'Hãy sửa các trường được đánh dấu.',
    errNameRequired: 'Cần đặt tên cho kịch bản',
    errName: 'Tên không hợp lệ: chữ thường, số, _; bắt đầu bằng chữ; tối đa 64 ký tự',
    errSqlRequired: 'Câu lệnh SQL đang trống',
    errSqlTooLong: 'Câu lệnh SQL dài quá 64 KiB',
    errTitle: 'Tiêu đề quá dài (tối đa 200 byte UTF-8, khoảng 70–200 ký tự)',
    errEvery: 'Chu kỳ phải từ 0,1 đến 3600 giây',
    confirmOverwrite: (n) => `Kịch bản “${n}” đã tồn tại. Ghi đè?`,
    confirmDiscard: 'Bỏ các thay đổi chưa lưu?',
    confirmDelete: (n) => `Xóa kịch bản “${n}”? Các màn hình đang hiển thị nó sẽ gỡ nó xuống.`,
    editing: (n) => `đang sửa: ${n}`,
    newDraft: 'kịch bản mới',
    unsaved: '• chưa lưu',
    previewTitle: 'Kết quả xem trước',
    previewEmpty: 'Bấm “Xem trước” (Ctrl+Enter) để chạy câu lệnh một lần, tối đa 200 dòng.',
    noRows: 'Không có dòng nào.',
    previewMeta: (n, ms) => `${n} dòng · ${ms} ms · giờ Asia/Ho_Chi_Minh`,
    truncated: (n) => `Kết quả bị cắt bớt: chỉ hiển thị ${n} dòng đầu.`,
    scenarios: 'Kịch bản',
    filterPh: 'Lọc…',
    listFailed: 'Không tải được danh sách kịch bản, đang thử lại…',
    noScenarios: 'Chưa có kịch bản nào.',
    noMatch: 'Không có kịch bản nào khớp.',
    status: { ok: 'OK', error: 'Lỗi', pending: 'Chưa chạy' },
    every: (s) => `mỗi ${s} giây`,
    onChange: (s) => `khi có dữ liệu mới (kiểm tra mỗi ${s} giây)`,
    keyLabel: 'khóa',
    alertLabel: 'cảnh báo',
    stats: {
      last: 'Lần gần nhất',
      p99: 'p99',
      evaluations: 'Số lần chạy',
      errors: 'Số lỗi',
      rowsScanned: 'Dòng đã quét',
      segSkipped: 'Phân đoạn bỏ qua',
      resultRows: 'Dòng kết quả',
      seq: 'seq',
    },
    segTitle: (skipped, scanned) => `${skipped} phân đoạn bỏ qua, ${scanned} phân đoạn đã quét`,
    edit: 'Sửa',
    del: 'Xóa',
    openWall: 'Mở trên màn hình',
    deleted: (n) => `Đã xóa kịch bản “${n}”.`,
    deleteFailed: 'Xóa không thành công',
    network: 'Lỗi mạng: không kết nối được máy chủ',
  },
  en: {
    title: 'Scenario console — IOC',
    navWall: 'Wall',
    navConsole: 'Console',
    catalog: 'Catalog',
    catalogHint: 'Click a stream or column name to insert it at the cursor.',
    refNote: 'Reference tables (communes, agencies, procedures, …) can be joined by their codes, e.g.:',
    streamsLoading: 'Loading the catalog…',
    streamsFailed: 'Could not load the streams, retrying…',
    noStreams: 'No streams yet',
    rows: (n) => `${n} rows`,
    streamMeta: (ret, seg) => `retention ${ret} · ${seg} segments`,
    eventTime: 'event time',
    idCol: 'de-duplication id',
    nullable: 'nullable',
    insert: 'Insert into the SQL',
    sql: 'SQL',
    editorHint: 'Ctrl+Enter: preview · Tab: 2 spaces (Esc then Tab: leave the editor)',
    sqlPlaceholder: "SELECT agency_code, count(*) AS overdue\nFROM dossiers\nWHERE status = 'received' AND due_at < now()\nGROUP BY agency_code",
    preview: 'Preview',
    running: 'Running…',
    vEmpty: 'Type a SQL query to check it.',
    vChecking: 'Checking…',
    vOk: (n, cols) => `OK — ${n} ${n === 1 ? 'column' : 'columns'}: ${cols}`,
    vAt: (l, c) => `Line ${l}, column ${c}`,
    vJump: 'click to go there',
    saveTitle: 'Save scenario',
    name: 'Name',
    namePh: 'e.g. overdue_by_agency',
    nameHelp: 'lower-case letters, digits, _; starts with a letter; at most 64 characters',
    titleField: 'Title',
    titlePh: 'Shown on the wall',
    trigger: 'Run',
    triggerInterval: 'on an interval',
    triggerChange: 'when an input stream receives data',
    everyLabel: 'every',
    seconds: 's',
    everyHelpInterval: 'The query runs again at this interval (0.1–3600 s).',
    everyHelpChange: 'New data is checked for at this interval; arrivals within one interval make one evaluation.',
    key: 'Key (columns that identify a row)',
    keyPh: 'e.g. agency_code, commune_code',
    keyHelp: 'Result columns:',
    keyNoCols: 'none yet — write a valid query',
    view: 'View',
    views: { kpi: 'kpi', ranking: 'ranking', timeseries: 'timeseries', table: 'table' },
    alert: 'Alert when (optional)',
    alertPh: 'overdue >= 20',
    alertHelp: 'e.g. `overdue >= 20` — a condition over result columns; leave empty for no alert.',
    severities: { info: 'info', warning: 'warning', critical: 'critical' },
    save: 'Save',
    saving: 'Saving…',
    newBtn: 'New',
    saved: (n) => `Saved scenario “${n}”.`,
    saveFailed: 'Save failed',
    fixFields: 'Please fix the marked fields.',
    errNameRequired: 'The scenario needs a name',
    errName: 'Invalid name: lower-case letters, digits, _; starts with a letter; at most 64 characters',
    errSqlRequired: 'The SQL is empty',
    errSqlTooLong: 'The SQL is longer than 64 KiB',
    errTitle: 'The title is too long (at most 200 UTF-8 bytes)',
    errEvery: 'The interval must be between 0.1 and 3600 seconds',
    confirmOverwrite: (n) => `Scenario “${n}” already exists. Overwrite it?`,
    confirmDiscard: 'Discard the unsaved changes?',
    confirmDelete: (n) => `Delete scenario “${n}”? Screens showing it will drop it.`,
    editing: (n) => `editing: ${n}`,
    newDraft: 'new scenario',
    unsaved: '• unsaved',
    previewTitle: 'Preview',
    previewEmpty: 'Click “Preview” (Ctrl+Enter) to run the query once, up to 200 rows.',
    noRows: 'No rows.',
    previewMeta: (n, ms) => `${n} rows · ${ms} ms · times in Asia/Ho_Chi_Minh`,
    truncated: (n) => `Truncated: only the first ${n} rows are shown.`,
    scenarios: 'Scenarios',
    filterPh: 'Filter…',
    listFailed: 'Could not load the scenarios, retrying…',
    noScenarios: 'No scenarios yet.',
    noMatch: 'No scenario matches.',
    status: { ok: 'OK', error: 'Error', pending: 'Not run yet' },
    every: (s) => `every ${s} s`,
    onChange: (s) => `on change (checked every ${s} s)`,
    keyLabel: 'key',
    alertLabel: 'alert',
    stats: {
      last: 'Last',
      p99: 'p99',
      evaluations: 'Evaluations',
      errors: 'Errors',
      rowsScanned: 'Rows scanned',
      segSkipped: 'Segments skipped',
      resultRows: 'Result rows',
      seq: 'seq',
    },
    segTitle: (skipped, scanned) => `${skipped} segments skipped, ${scanned} segments scanned`,
    edit: 'Edit',
    del: 'Delete',
    openWall: 'Open on wall',
    deleted: (n) => `Deleted scenario “${n}”.`,
    deleteFailed: 'Delete failed',
    network: 'Network error: the server cannot be reached',
  },
};

export function stringsFor(lang) {
  return STRINGS[lang] || STRINGS.vi;
}

/** ?lang=en&token=T&edit=NAME */
export function parseQuery(search) {
  const q = new URLSearchParams(search || '');
  const lang = (q.get('lang') || 'vi').toLowerCase().startsWith('en') ? 'en' : 'vi';
  const edit = q.get('edit');
  return { lang, token: q.get('token') || null, edit: edit && NAME_RE.test(edit) ? edit : null };
}

/** A link to another page that keeps the language and token: pageLink('/', q, {scenarios: 'x'}). */
export function pageLink(path, query = {}, params = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') p.set(k, v);
  if (query.lang === 'en') p.set('lang', 'en');
  if (query.token) p.set('token', query.token);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

/** The wall showing only this scenario: /?scenarios=NAME (plus lang/token). */
export function wallLink(name, query = {}) {
  return pageLink('/', query, { scenarios: name });
}

// ---------------------------------------------------------------------------------------------------
// Form values <-> request bodies
// ---------------------------------------------------------------------------------------------------

/** The form as plain strings, the way the inputs hold them. */
export function emptyForm() {
  return {
    name: '',
    title: '',
    sql: '',
    trigger: 'interval', // 'interval' | 'change'
    every: DEFAULT_EVERY_S, // seconds, as typed
    key: '',             // comma-separated
    view: 'table',
    alertWhen: '',
    severity: 'warning',
  };
}

export function isValidName(name) {
  return NAME_RE.test(String(name ?? ''));
}

/** "a, b ,,c, a" -> ["a", "b", "c"] */
export function parseKeyList(text) {
  const out = [];
  for (const part of String(text ?? '').split(',')) {
    const k = part.trim();
    if (k && !out.includes(k)) out.push(k);
  }
  return out;
}

/** Adds the column to the comma-separated key, or removes it when present. */
export function toggleKey(text, column) {
  const keys = parseKeyList(text);
  const i = keys.indexOf(column);
  if (i >= 0) keys.splice(i, 1);
  else keys.push(column);
  return keys.join(', ');
}

/** "2", "0.5", "0,5" (Vietnamese decimal comma) -> seconds; NaN when it is not a plain positive number. */
export function parseSeconds(text) {
  const s = String(text ?? '').trim().replace(',', '.');
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(s)) return NaN;
  return Number(s);
}

/** every_ms -> the seconds text the form shows (2000 -> "2", 500 -> "0.5"). */
export function secondsText(ms) {
  const n = Number(ms);
  if (!Number.isFinite(n) || n <= 0) return DEFAULT_EVERY_S;
  return String(Math.round(n) / 1000);
}

/**
 * Checks the form and builds the scenario body for PUT /api/v1/scenarios/{name}.
 * Returns { name, body, errors } where errors maps a field (name, sql, title, every) to a message; fields that
 * failed a check are left out of `body`. Optional fields are left out when empty; `key` is always sent
 * (an empty list clears the key of a scenario being replaced). `every_ms` is sent for both triggers: for
 * `on: "change"` it is how often the server checks for new data (the debounce).
 * The SQL is sent trimmed, as the server stores it, so error positions refer to a text we know
 * (errorPosition maps them back into the editor's text).
 */
export function buildScenarioBody(form, lang = 'vi') {
  const T = stringsFor(lang);
  const f = { ...emptyForm(), ...(form || {}) };
  const errors = {};
  const name = String(f.name ?? '').trim();
  if (!name) errors.name = T.errNameRequired;
  else if (!NAME_RE.test(name)) errors.name = T.errName;

  const sql = String(f.sql ?? '').trim();
  if (!sql) errors.sql = T.errSqlRequired;
  else if (utf8Length(sql) > MAX_SQL_BYTES) errors.sql = T.errSqlTooLong;
  const body = { sql };

  const title = String(f.title ?? '').trim();
  if (utf8Length(title) > MAX_TITLE_BYTES) errors.title = T.errTitle;
  else if (title) body.title = title;

  body.on = f.trigger === 'change' ? 'change' : 'interval';
  const sec = parseSeconds(f.every);
  const ms = Math.round(sec * 1000);
  if (!Number.isFinite(sec) || ms < EVERY_MIN_MS || ms > EVERY_MAX_MS) errors.every = T.errEvery;
  else body.every_ms = ms;

  body.key = parseKeyList(f.key);
  body.view = VIEWS.includes(f.view) ? f.view : 'table';

  const when = String(f.alertWhen ?? '').trim();
  if (when) body.alert = { when, severity: SEVERITIES.includes(f.severity) ? f.severity : 'warning' };

  return { name, body, errors };
}

/**
 * The body for POST /api/v1/scenarios/validate: the whole draft, named "draft" while the name field is
 * empty or not yet a valid name (the name has its own message next to its field).
 */
export function validateRequestBody(form, lang = 'vi') {
  const { name, body, errors } = buildScenarioBody(form, lang);
  return { body: { name: errors.name ? DRAFT_NAME : name, ...body }, errors };
}

/** The PUT request for the form: { path, body, name, errors }; send it only when errors is empty. */
export function saveRequest(form, lang = 'vi') {
  const { name, body, errors } = buildScenarioBody(form, lang);
  return { path: `/api/v1/scenarios/${encodeURIComponent(name)}`, body, name, errors };
}

/** The body for POST /api/v1/query (SQL trimmed like the other bodies, so positions map the same way). */
export function queryRequestBody(sql, limit = PREVIEW_LIMIT) {
  return { sql: String(sql ?? '').trim(), limit };
}

/** A scenario from GET /api/v1/scenarios -> form values (for "Edit"). */
export function formFromScenario(s) {
  const f = emptyForm();
  if (!s || typeof s !== 'object') return f;
  f.name = String(s.name ?? '');
  f.title = s.title === null || s.title === undefined ? '' : String(s.title);
  f.sql = String(s.sql ?? '');
  f.trigger = s.on === 'change' ? 'change' : 'interval';
  f.every = secondsText(s.every_ms);
  f.key = Array.isArray(s.key) ? s.key.map(String).join(', ') : '';
  f.view = VIEWS.includes(s.view) ? s.view : 'table';
  if (s.alert && typeof s.alert === 'object' && s.alert.when) {
    f.alertWhen = String(s.alert.when);
    f.severity = SEVERITIES.includes(s.alert.severity) ? s.alert.severity : 'warning';
  }
  return f;
}

/** Two forms describe the same scenario (for the "unsaved" mark and the discard question). */
export function sameForm(a, b) {
  const norm = (f) => {
    const x = { ...emptyForm(), ...(f || {}) };
    return JSON.stringify([x.name.trim(), x.title.trim(), x.sql, x.trigger,
      parseSeconds(x.every), parseKeyList(x.key), x.view,
      x.alertWhen.trim(), x.alertWhen.trim() ? x.severity : null]);
  };
  return norm(a) === norm(b);
}

// ---------------------------------------------------------------------------------------------------
// Errors and their position in the SQL
// ---------------------------------------------------------------------------------------------------

/** {code, message, line?, column?, status} from an HTTP answer that was not 2xx (JSON or not). */
export function apiErrorFrom(status, text) {
  let data = null;
  try { data = JSON.parse(text); } catch (e) { /* not JSON */ }
  const e = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : null;
  if (e) {
    return { ...e, code: String(e.code || `http_${status}`), message: String(e.message ?? ''), status };
  }
  const snippet = String(text ?? '').trim().slice(0, 300);
  return { code: `http_${status}`, message: snippet || `HTTP ${status}`, status };
}

/** "invalid_sql: message" */
export function errorText(err) {
  if (!err) return '';
  return [err.code, err.message].filter(Boolean).join(': ');
}

// sqlparser/DataFusion put the position in the message ("... at Line: 2, Column: 5") when a field is missing
const POS_RE = /\bline:?\s*(\d+)\s*,?\s*col(?:umn)?:?\s*(\d+)/i;

/**
 * Where the error points in the editor's text `sql`: { line, column, offset, lineText, caret } or null.
 * The server reports 1-based line/column (in characters, i.e. code points) within the SQL it received,
 * which is `sql.trim()` (see buildScenarioBody); they come from the error's fields, else from its message,
 * and are clamped into that text, then mapped back into `sql` past its leading whitespace. The result's
 * line/column are in `sql`; `offset` is the UTF-16 index for setSelectionRange; `caret` is the line's
 * indentation (tabs kept, so it lines up under `lineText`) followed by "^".
 */
export function errorPosition(err, sql) {
  if (!err) return null;
  let line = Number(err.line);
  let column = Number(err.column);
  if (!(Number.isInteger(line) && line >= 1)) {
    const m = POS_RE.exec(String(err.message ?? ''));
    if (!m) return null;
    line = Number(m[1]);
    column = Number(m[2]);
  }
  if (!(Number.isInteger(column) && column >= 1)) column = 1;
  const full = String(sql ?? '');
  const lead = full.length - full.trimStart().length;
  const lines = full.trim().split('\n');
  if (line > lines.length) { // e.g. "unexpected end of input" one past the last line: point at the end
    line = lines.length;
    column = Infinity;
  }
  const cps = Array.from(lines[line - 1].replace(/\r$/, ''));
  column = Math.min(column, cps.length + 1);
  let offset = lead + cps.slice(0, column - 1).join('').length;
  for (let i = 0; i < line - 1; i++) offset += lines[i].length + 1;
  // back to the editor's own lines
  const lineStart = full.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = full.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = full.length;
  const lineText = full.slice(lineStart, lineEnd).replace(/\r$/, '');
  const before = Array.from(full.slice(lineStart, offset));
  return {
    line: full.slice(0, lineStart).split('\n').length,
    column: before.length + 1,
    offset,
    lineText,
    caret: before.map((c) => (c === '\t' ? '\t' : ' ')).join('') + '^',
  };
}

/** Replace [start, end) of `value` with `text`: { value, caret } (the caret goes after the insertion). */
export function insertText(value, start, end, text) {
  const v = String(value ?? '');
  const s = Math.max(0, Math.min(start ?? v.length, v.length));
  const e = Math.max(s, Math.min(end ?? s, v.length));
  return { value: v.slice(0, s) + text + v.slice(e), caret: s + text.length };
}

// ---------------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------------

const LOCALES = { vi: 'vi-VN', en: 'en-GB' };
const NF = {};
function nf(lang, kind) {
  const k = `${lang}:${kind}`;
  if (!NF[k]) {
    const opts = kind === 'ms'
      ? { minimumFractionDigits: 1, maximumFractionDigits: 1 }
      : kind === 'int' ? { maximumFractionDigits: 0 } : { maximumFractionDigits: 4 };
    NF[k] = new Intl.NumberFormat(LOCALES[lang] || LOCALES.vi, opts);
  }
  return NF[k];
}

// formatToParts + h23 so the result is always DD/MM/YYYY HH:MM:SS whatever the locale data says
const DTF = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function parts(ms) {
  const p = {};
  for (const x of DTF.formatToParts(ms)) p[x.type] = x.value;
  return p;
}

/** Milliseconds with one decimal: 12.345 -> "12,3 ms" (vi) / "12.3 ms" (en); null -> "—". */
export function formatMs(v, lang = 'vi') {
  const n = typeof v === 'number' ? v : v === null || v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? `${nf(lang, 'ms').format(n)} ms` : '—';
}

/** Counters: 1234567 -> "1.234.567" (vi) / "1,234,567" (en); null -> "—". */
export function formatCount(v, lang = 'vi') {
  const n = typeof v === 'number' ? v : v === null || v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? nf(lang, 'int').format(n) : '—';
}

/** A number in a result cell (up to 4 decimals). */
export function formatNumber(v, lang = 'vi') {
  return Number.isFinite(v) ? nf(lang, 'num').format(v) : String(v);
}

/** An instant (RFC 3339 or epoch ms) as local time in Asia/Ho_Chi_Minh: "23/11/2026 15:15:00". */
export function formatTimestamp(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string' && DATE_ONLY_RE.test(v)) return v.split('-').reverse().join('/');
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) return String(v);
  const p = parts(ms);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

/** A date (date32: "2026-11-23", or days since 1970) as "23/11/2026". */
export function formatDate(v) {
  if (typeof v === 'string' && DATE_ONLY_RE.test(v)) return v.split('-').reverse().join('/');
  if (typeof v === 'number' && Number.isFinite(v)) {
    return new Date(v * 86400000).toISOString().slice(0, 10).split('-').reverse().join('/');
  }
  return formatTimestamp(v);
}

/**
 * 'number' | 'time' | 'date' | 'bool' | 'text' for a column: the declared type decides (protocol names
 * such as int64 or Arrow names such as Float64 / Timestamp(Millisecond, Some("UTC"))); an unknown type
 * falls back to a sample value.
 */
export function columnKind(type, sample) {
  const t = String(type ?? '').toLowerCase();
  if (/^date/.test(t)) return 'date';
  if (/^(timestamp|time)/.test(t)) return 'time';
  if (/^(u?int|float|double|decimal|numeric|real|bigint|smallint|tinyint)/.test(t)) return 'number';
  if (/^bool/.test(t)) return 'bool';
  if (/^(utf8|largeutf8|string|text|varchar|char|dictionary)/.test(t)) return 'text';
  if (typeof sample === 'number') return 'number';
  if (typeof sample === 'boolean') return 'bool';
  if (typeof sample === 'string' && ISO_RE.test(sample)) return 'time';
  return 'text';
}

/** Kinds of all columns of a result, sampling the first non-null value of each. */
export function columnKinds(columns, rows) {
  return (columns || []).map((c, i) => {
    let sample = null;
    for (const r of rows || []) {
      if (Array.isArray(r) && r[i] !== null && r[i] !== undefined) { sample = r[i]; break; }
    }
    return columnKind(c && c.type, sample);
  });
}

/** One result cell as text. NULL stays visible as NULL: an analyst needs to tell it from "" or 0. */
export function formatCell(v, kind, lang = 'vi') {
  if (v === null || v === undefined) return 'NULL';
  switch (kind) {
    case 'number':
      if (typeof v === 'number') return formatNumber(v, lang);
      return String(v);
    case 'time':
      return formatTimestamp(v);
    case 'date':
      return formatDate(v);
    case 'bool':
      return String(v);
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** "OK — 3 cột: a, b, c" */
export function validationSummary(columns, lang = 'vi') {
  const cols = Array.isArray(columns) ? columns : [];
  return stringsFor(lang).vOk(cols.length, cols.map((c) => c && c.name).join(', '));
}

/** "mỗi 2 giây" / "every 0.5 s" / "khi có dữ liệu mới (kiểm tra mỗi 2 giây)" */
export function describeTrigger(s, lang = 'vi') {
  const T = stringsFor(lang);
  const ms = Number(s && s.every_ms);
  const sec = Number.isFinite(ms) ? String(Math.round(ms) / 1000) : '?';
  const text = lang === 'en' ? sec : sec.replace('.', ',');
  return s && s.on === 'change' ? T.onChange(text) : T.every(text);
}

/** 'ok' | 'error' | 'pending' (loaded, not evaluated yet). */
export function scenarioStatus(s) {
  if (!s || s.status === 'error') return 'error';
  if (s.evaluations === 0) return 'pending';
  return 'ok';
}

/** "3 / 40": segments skipped out of all segments the evaluation looked at. */
export function formatSegments(s, lang = 'vi') {
  const skipped = Number(s && s.segments_skipped);
  const scanned = Number(s && s.segments_scanned);
  if (!Number.isFinite(skipped)) return '—';
  const total = Number.isFinite(scanned) ? skipped + scanned : NaN;
  return Number.isFinite(total) ? `${formatCount(skipped, lang)} / ${formatCount(total, lang)}` : formatCount(skipped, lang);
}

/** Scenarios whose name or title contains the filter text (case-insensitive), sorted by name. */
export function filterScenarios(list, text) {
  const q = String(text ?? '').trim().toLowerCase();
  const all = (Array.isArray(list) ? list : []).filter((s) => s && typeof s.name === 'string');
  const hit = q ? all.filter((s) => s.name.toLowerCase().includes(q) || String(s.title ?? '').toLowerCase().includes(q)) : all;
  return hit.sort((a, b) => a.name.localeCompare(b.name));
}

// ===================================================================================================
// Browser app (everything below touches the DOM)
// ===================================================================================================

const DRAFT_STORAGE_KEY = 'ioc-stream.console.draft';

function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function boot() {
  const query = parseQuery(location.search);
  const lang = query.lang;
  const T = stringsFor(lang);
  const $ = (id) => document.getElementById(id);

  const el = {
    sql: $('sql'),
    validation: $('validation'),
    previewBtn: $('preview-btn'),
    preview: $('preview'),
    previewMeta: $('preview-meta'),
    editing: $('editing'),
    form: $('save-form'),
    name: $('f-name'),
    nameHelp: $('f-name-help'),
    title: $('f-title'),
    every: $('f-every'),
    everyHelp: $('f-every-help'),
    everyNote: $('f-every-note'),
    key: $('f-key'),
    chips: $('key-chips'),
    view: $('f-view'),
    alert: $('f-alert'),
    alertHelp: $('f-alert-help'),
    severity: $('f-severity'),
    saveBtn: $('save-btn'),
    newBtn: $('new-btn'),
    saveStatus: $('save-status'),
    catalog: $('catalog-list'),
    scList: $('sc-list'),
    scStatus: $('sc-status'),
    scCount: $('sc-count'),
    scFilter: $('sc-filter'),
    clock: $('clock-time'),
  };

  const app = {
    scenarios: [],         // last GET /api/v1/scenarios
    cards: new Map(),      // name -> card DOM refs
    listFailed: false,
    loadedName: null,      // the scenario the form was loaded from / last saved as
    cleanForm: emptyForm(), // form values at load/save: the "unsaved" mark compares against it
    columns: [],           // result columns of the last successful validation (key chips)
    validateSeq: 0,
    validateAbort: null,
    validateTimer: 0,
    lastValidated: '',     // JSON of the last validate body sent: skip identical requests
    escPressed: false,     // Esc then Tab leaves the editor
    previewSeq: 0,
    catalogSig: '',
    catalogRefs: new Map(), // stream name -> element showing its row count / meta
  };

  const headers = (json) => {
    const hd = {};
    if (json) hd['Content-Type'] = 'application/json';
    if (query.token) hd.Authorization = `Bearer ${query.token}`;
    return hd;
  };

  /** fetch + JSON: { ok: true, status, data } or { ok: false, status, error }. Never throws. */
  async function api(method, path, body, signal) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: headers(body !== undefined),
        body: body !== undefined ? JSON.stringify(body) : undefined,
        cache: 'no-store',
        signal,
      });
    } catch (e) {
      if (e && e.name === 'AbortError') return { ok: false, aborted: true, status: 0, error: null };
      return { ok: false, status: 0, error: { code: 'network', message: T.network } };
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) return { ok: false, status: res.status, error: apiErrorFrom(res.status, text) };
    if (!text) return { ok: true, status: res.status, data: null };
    try {
      return { ok: true, status: res.status, data: JSON.parse(text) };
    } catch (e) {
      return { ok: false, status: res.status, error: { code: 'bad_response', message: text.slice(0, 200) } };
    }
  }

  // ---- static chrome: language ----

  document.documentElement.lang = lang;
  document.title = T.title;
  for (const n of document.querySelectorAll('[data-i18n]')) {
    const v = T[n.dataset.i18n];
    if (typeof v === 'string') n.textContent = v;
  }
  for (const n of document.querySelectorAll('[data-i18n-placeholder]')) {
    const v = T[n.dataset.i18nPlaceholder];
    if (typeof v === 'string') n.placeholder = v;
  }
  for (const o of el.view.options) o.textContent = T.views[o.value] || o.value;
  for (const o of el.severity.options) o.textContent = T.severities[o.value] || o.value;
  el.alertHelp.textContent = T.alertHelp;
  $('nav-wall').href = pageLink('/', query);
  $('nav-console').href = pageLink('/console.html', query);

  const clockFmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const tickClock = () => {
    el.clock.textContent = clockFmt.format(Date.now());
    setTimeout(tickClock, 1000 - (Date.now() % 1000) + 10);
  };
  tickClock();

  // ---- form values ----

  function readForm() {
    const trig = el.form.querySelector('input[name="trigger"]:checked');
    return {
      name: el.name.value,
      title: el.title.value,
      sql: el.sql.value,
      trigger: trig ? trig.value : 'interval',
      every: el.every.value,
      key: el.key.value,
      view: el.view.value,
      alertWhen: el.alert.value,
      severity: el.severity.value,
    };
  }

  function writeForm(f) {
    el.name.value = f.name;
    el.title.value = f.title;
    el.sql.value = f.sql;
    for (const r of el.form.querySelectorAll('input[name="trigger"]')) r.checked = r.value === f.trigger;
    el.every.value = f.every;
    el.key.value = f.key;
    el.view.value = f.view;
    el.alert.value = f.alertWhen;
    el.severity.value = f.severity;
    el.sql.scrollTop = 0;
    syncTrigger();
  }

  function syncTrigger() {
    el.everyNote.textContent = readForm().trigger === 'change' ? T.everyHelpChange : T.everyHelpInterval;
  }

  /** Field messages from the local checks (name and interval; the SQL has the validation line). */
  function showFieldErrors(errors, force = false) {
    const f = readForm();
    const nameErr = errors.name && (force || f.name.trim() !== '') ? errors.name : '';
    el.nameHelp.textContent = nameErr || T.nameHelp;
    el.nameHelp.classList.toggle('is-error', Boolean(nameErr));
    el.name.classList.toggle('is-invalid', Boolean(nameErr));
    el.everyHelp.textContent = errors.every || '';
    el.everyHelp.classList.toggle('is-error', Boolean(errors.every));
    el.every.classList.toggle('is-invalid', Boolean(errors.every));
    el.title.classList.toggle('is-invalid', Boolean(errors.title));
    el.title.title = errors.title || '';
  }

  function renderEditing() {
    const dirty = !sameForm(readForm(), app.cleanForm);
    el.editing.replaceChildren();
    el.editing.append(h('span', '', app.loadedName ? T.editing(app.loadedName) : T.newDraft));
    if (dirty) el.editing.append(h('span', 'unsaved', ` ${T.unsaved}`));
    for (const card of app.cards.values()) card.root.classList.toggle('is-loaded', card.name === app.loadedName);
  }

  function storeDraft() {
    try {
      localStorage.setItem(DRAFT_STORAGE_KEY, JSON.stringify({ form: readForm(), loadedName: app.loadedName }));
    } catch (e) { /* storage off or full: the draft is only a convenience */ }
  }

  function loadDraft() {
    try {
      const d = JSON.parse(localStorage.getItem(DRAFT_STORAGE_KEY) || 'null');
      if (d && d.form && typeof d.form === 'object') return d;
    } catch (e) { /* ignore */ }
    return null;
  }

  /** Any edit: local checks now, server validation after a pause, remember the draft. */
  function onFormChange() {
    syncTrigger();
    const { errors } = buildScenarioBody(readForm(), lang);
    showFieldErrors(errors);
    renderEditing();
    storeDraft();
    scheduleValidate();
  }

  // ---- validation as you type ----

  function scheduleValidate() {
    clearTimeout(app.validateTimer);
    app.validateTimer = setTimeout(validateNow, VALIDATE_DEBOUNCE_MS);
  }

  async function validateNow() {
    clearTimeout(app.validateTimer);
    const form = readForm();
    if (!form.sql.trim()) {
      app.validateSeq++; // a response still on its way must not overwrite this
      if (app.validateAbort) app.validateAbort.abort();
      app.lastValidated = '';
      renderValidation({ state: 'empty' });
      return;
    }
    const { body } = validateRequestBody(form, lang);
    const sig = JSON.stringify(body);
    if (sig === app.lastValidated) return;
    app.lastValidated = sig;
    if (app.validateAbort) app.validateAbort.abort();
    const ctl = typeof AbortController !== 'undefined' ? new AbortController() : null;
    app.validateAbort = ctl;
    const seq = ++app.validateSeq;
    el.validation.classList.add('is-checking');
    const r = await api('POST', '/api/v1/scenarios/validate', body, ctl ? ctl.signal : undefined);
    if (seq !== app.validateSeq || r.aborted) return; // a newer request owns the status line
    el.validation.classList.remove('is-checking');
    if (r.ok && r.data && r.data.ok !== false) {
      app.columns = Array.isArray(r.data.columns) ? r.data.columns : [];
      renderValidation({ state: 'ok', columns: app.columns });
      renderChips();
    } else {
      if (!r.ok && r.status === 0) app.lastValidated = ''; // network: try again on the next edit
      renderValidation({ state: 'error', error: r.error || { code: 'invalid', message: '' }, sql: form.sql });
    }
  }

  function renderValidation(v) {
    const box = el.validation;
    box.className = 'vstatus';
    box.onclick = null;
    box.onkeydown = null;
    box.removeAttribute('role');
    box.removeAttribute('tabindex');
    box.removeAttribute('title');
    if (v.state === 'empty') {
      box.classList.add('is-empty');
      box.replaceChildren(h('span', '', T.vEmpty));
      return;
    }
    if (v.state === 'ok') {
      box.classList.add('is-ok');
      box.replaceChildren(h('span', 'vmark', '✓'), h('span', 'vtext', validationSummary(v.columns, lang)));
      return;
    }
    box.classList.add('is-error');
    box.replaceChildren(...errorNodes(v.error, v.sql, box));
  }

  /**
   * The error message and, when it has a position, the offending line with a caret under the column;
   * clicking `host` puts the editor's cursor there.
   */
  function errorNodes(err, sql, host) {
    const nodes = [h('div', 'vtext', errorText(err))];
    const pos = errorPosition(err, sql);
    if (pos) {
      const gutter = `${pos.line} │ `;
      const pre = h('pre', 'vwhere');
      pre.append(h('span', 'vgutter', gutter), pos.lineText, '\n',
        h('span', 'vgutter', ' '.repeat(gutter.length)), h('span', 'vcaret', pos.caret));
      nodes.push(pre, h('div', 'vat', `${T.vAt(pos.line, pos.column)} — ${T.vJump}`));
      host.classList.add('is-jump');
      host.setAttribute('role', 'button');
      host.setAttribute('tabindex', '0');
      host.title = T.vJump;
      const jump = () => {
        // only if the text still matches what was checked (otherwise the position means nothing)
        if (el.sql.value === sql) jumpTo(pos);
      };
      host.onclick = jump;
      host.onkeydown = (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); jump(); } };
    }
    return nodes;
  }

  function jumpTo(pos) {
    const ta = el.sql;
    ta.focus();
    const end = Math.min(ta.value.length, pos.offset + 1);
    ta.setSelectionRange(pos.offset, end > pos.offset && ta.value[pos.offset] !== '\n' ? end : pos.offset);
    const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
    const top = (pos.line - 1) * lh;
    if (top < ta.scrollTop || top > ta.scrollTop + ta.clientHeight - 2 * lh) {
      ta.scrollTop = Math.max(0, top - ta.clientHeight / 3);
    }
  }

  // ---- key chips ----

  function renderChips() {
    const keys = parseKeyList(el.key.value);
    if (app.columns.length === 0) {
      el.chips.replaceChildren(h('span', 'field-help', T.keyNoCols));
      return;
    }
    el.chips.replaceChildren(...app.columns.map((c) => {
      const b = h('button', 'chip', c.name);
      b.type = 'button';
      b.title = c.type ? `${c.name}: ${c.type}` : c.name;
      const on = keys.includes(c.name);
      b.classList.toggle('is-on', on);
      b.setAttribute('aria-pressed', String(on));
      b.addEventListener('click', () => {
        el.key.value = toggleKey(el.key.value, c.name);
        renderChips();
        onFormChange();
      });
      return b;
    }));
  }

  // ---- editor ----

  /** Insert at the cursor, keeping the browser's undo history where it can. */
  function insertAtCursor(text) {
    const ta = el.sql;
    ta.focus();
    let done = false;
    try { done = document.execCommand('insertText', false, text); } catch (e) { done = false; }
    if (!done) {
      const r = insertText(ta.value, ta.selectionStart, ta.selectionEnd, text);
      ta.value = r.value;
      ta.setSelectionRange(r.caret, r.caret);
      onFormChange();
    }
  }

  el.sql.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { app.escPressed = true; return; }
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); runPreview(); return; }
    if (e.key === 'Tab' && !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey && !app.escPressed) {
      e.preventDefault();
      insertAtCursor(INDENT);
      return;
    }
    app.escPressed = false;
  });
  el.sql.addEventListener('blur', () => { app.escPressed = false; });

  for (const input of [el.sql, el.name, el.title, el.every, el.key, el.alert]) {
    input.addEventListener('input', onFormChange);
  }
  el.key.addEventListener('input', renderChips);
  for (const sel of [el.view, el.severity]) sel.addEventListener('change', onFormChange);
  for (const r of el.form.querySelectorAll('input[name="trigger"]')) r.addEventListener('change', onFormChange);
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && (e.key === 's' || e.key === 'S')) { e.preventDefault(); save(); }
  });

  // ---- preview ----

  el.previewBtn.addEventListener('click', runPreview);

  async function runPreview() {
    const sql = el.sql.value;
    if (!sql.trim()) { renderValidation({ state: 'empty' }); el.sql.focus(); return; }
    const seq = ++app.previewSeq;
    el.previewBtn.disabled = true;
    el.previewBtn.textContent = T.running;
    el.previewMeta.textContent = '';
    el.preview.classList.add('is-running');
    const t0 = performance.now();
    const r = await api('POST', '/api/v1/query', queryRequestBody(sql));
    const ms = Math.round(performance.now() - t0);
    if (seq !== app.previewSeq) return;
    el.previewBtn.disabled = false;
    el.previewBtn.textContent = T.preview;
    el.preview.classList.remove('is-running');
    if (!r.ok) {
      const box = h('div', 'vstatus is-error');
      box.append(...errorNodes(r.error, sql, box));
      el.preview.replaceChildren(box);
      el.preview.parentElement.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      return;
    }
    const data = r.data || {};
    const columns = Array.isArray(data.columns) ? data.columns : [];
    const rows = Array.isArray(data.rows) ? data.rows : [];
    el.previewMeta.textContent = T.previewMeta(formatCount(rows.length, lang), formatCount(ms, lang));
    el.preview.replaceChildren(...resultTable(columns, rows, Boolean(data.truncated)));
    el.preview.parentElement.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  function resultTable(columns, rows, truncated) {
    const out = [];
    if (truncated) out.push(h('div', 'truncated', T.truncated(formatCount(rows.length, lang))));
    const kinds = columnKinds(columns, rows);
    const table = h('table', 'data-table result-table');
    const thead = h('thead');
    const tr = h('tr');
    columns.forEach((c, i) => {
      const th = h('th', kinds[i] === 'number' ? 'num' : '');
      th.append(h('span', '', c.name), h('span', 'col-type', String(c.type ?? '')));
      tr.append(th);
    });
    thead.append(tr);
    const tbody = h('tbody');
    const frag = document.createDocumentFragment();
    for (const row of rows) {
      const r = h('tr');
      columns.forEach((c, i) => {
        const v = Array.isArray(row) ? row[i] : undefined;
        const cls = [kinds[i] === 'number' ? 'num' : '', kinds[i] === 'time' || kinds[i] === 'date' ? 'time' : '',
          v === null || v === undefined ? 'null' : ''].filter(Boolean).join(' ');
        const td = h('td', cls, formatCell(v, kinds[i], lang));
        if (v !== null && v !== undefined) td.title = typeof v === 'object' ? JSON.stringify(v) : String(v);
        r.append(td);
      });
      frag.append(r);
    }
    tbody.append(frag);
    table.append(thead, tbody);
    const wrap = h('div', 'result-wrap');
    wrap.append(table);
    out.push(wrap);
    if (rows.length === 0) out.push(h('div', 'preview-empty', T.noRows));
    return out;
  }

  function clearPreview() {
    app.previewSeq++;
    el.previewBtn.disabled = false;
    el.previewBtn.textContent = T.preview;
    el.preview.classList.remove('is-running');
    el.previewMeta.textContent = '';
    el.preview.replaceChildren(h('div', 'preview-empty', T.previewEmpty));
  }

  // ---- save / new / edit / delete ----

  function setSaveStatus(kind, nodes) {
    el.saveStatus.className = `save-status ${kind ? `is-${kind}` : ''}`;
    el.saveStatus.onclick = null;
    el.saveStatus.onkeydown = null;
    el.saveStatus.removeAttribute('role');
    el.saveStatus.removeAttribute('tabindex');
    el.saveStatus.removeAttribute('title');
    el.saveStatus.replaceChildren(...nodes);
  }

  el.form.addEventListener('submit', (e) => { e.preventDefault(); save(); });

  let saving = false;
  async function save() {
    if (saving) return;
    const form = readForm();
    const req = saveRequest(form, lang);
    showFieldErrors(req.errors, true);
    if (Object.keys(req.errors).length) {
      const msgs = Object.values(req.errors);
      setSaveStatus('error', [h('div', 'vtext', `${T.fixFields} ${msgs.join('; ')}`)]);
      if (req.errors.name) el.name.focus();
      else if (req.errors.sql) el.sql.focus();
      else if (req.errors.every) el.every.focus();
      else if (req.errors.title) el.title.focus();
      return;
    }
    if (req.name !== app.loadedName && app.scenarios.some((s) => s.name === req.name)
        && !confirm(T.confirmOverwrite(req.name))) return;
    saving = true;
    el.saveBtn.disabled = true;
    setSaveStatus('', [h('span', '', T.saving)]);
    const r = await api('PUT', req.path, req.body);
    saving = false;
    el.saveBtn.disabled = false;
    if (r.ok) {
      app.loadedName = req.name;
      app.cleanForm = form;
      storeDraft();
      renderEditing();
      const link = h('a', 'wall-link', T.openWall);
      link.href = wallLink(req.name, query);
      link.target = '_blank';
      link.rel = 'noopener';
      setSaveStatus('ok', [h('span', '', `${T.saved(req.name)} `), link]);
      loadScenarios();
    } else {
      setSaveStatus('error', []);
      el.saveStatus.append(h('div', 'vtitle', T.saveFailed), ...errorNodes(r.error, form.sql, el.saveStatus));
    }
  }

  function confirmDiscard() {
    return sameForm(readForm(), app.cleanForm) || confirm(T.confirmDiscard);
  }

  function loadIntoForm(f, loadedName) {
    writeForm(f);
    app.loadedName = loadedName;
    app.cleanForm = readForm();
    app.lastValidated = '';
    app.columns = [];
    renderChips();
    showFieldErrors({});
    setSaveStatus('', []);
    clearPreview();
    renderEditing();
    storeDraft();
    validateNow();
  }

  el.newBtn.addEventListener('click', () => {
    if (!confirmDiscard()) return;
    loadIntoForm(emptyForm(), null);
    renderValidation({ state: 'empty' });
    el.name.focus();
  });

  function editScenario(name) {
    const s = app.scenarios.find((x) => x.name === name);
    if (!s || !confirmDiscard()) return;
    loadIntoForm(formFromScenario(s), s.name);
    el.sql.focus();
    el.sql.setSelectionRange(0, 0);
  }

  async function deleteScenario(name) {
    if (!confirm(T.confirmDelete(name))) return;
    const r = await api('DELETE', `/api/v1/scenarios/${encodeURIComponent(name)}`);
    if (r.ok || r.status === 404) {
      if (app.loadedName === name) {
        app.loadedName = null; // the form keeps the text, so it can be saved again
        app.cleanForm = emptyForm();
        renderEditing();
        storeDraft();
      }
      setSaveStatus('ok', [h('span', '', T.deleted(name))]);
    } else {
      setSaveStatus('error', [h('div', 'vtitle', T.deleteFailed), h('div', 'vtext', errorText(r.error))]);
    }
    loadScenarios();
  }

  // ---- scenario list (refreshed every 3 s; cards are updated in place so focus and hover survive) ----

  let listTimer = 0;
  let listInFlight = false;
  async function loadScenarios() {
    if (listInFlight) return;
    listInFlight = true;
    clearTimeout(listTimer);
    const r = await api('GET', '/api/v1/scenarios');
    listInFlight = false;
    if (r.ok && Array.isArray(r.data)) {
      app.scenarios = r.data.filter((s) => s && typeof s.name === 'string');
      app.listFailed = false;
    } else {
      app.listFailed = true;
    }
    renderList();
    listTimer = setTimeout(loadScenarios, LIST_REFRESH_MS);
  }

  el.scFilter.addEventListener('input', renderList);

  function renderList() {
    el.scStatus.hidden = !app.listFailed;
    el.scStatus.textContent = app.listFailed ? T.listFailed : '';
    const shown = filterScenarios(app.scenarios, el.scFilter.value);
    el.scCount.textContent = app.scenarios.length ? String(app.scenarios.length) : '';
    const names = new Set(shown.map((s) => s.name));
    for (const [name, card] of app.cards) {
      if (!names.has(name)) { card.root.remove(); app.cards.delete(name); }
    }
    const roots = shown.map((s) => {
      let card = app.cards.get(s.name);
      if (!card) { card = createCard(s.name); app.cards.set(s.name, card); }
      updateCard(card, s);
      return card.root;
    });
    // reorder only when needed, so the elements (and a focused button) stay put
    const current = [...el.scList.children];
    if (roots.length !== current.length || roots.some((r, i) => r !== current[i])) {
      el.scList.replaceChildren(...roots);
    }
    if (roots.length === 0) {
      const msg = app.scenarios.length ? T.noMatch : app.listFailed ? '' : T.noScenarios;
      if (msg) el.scList.replaceChildren(h('div', 'sc-empty', msg));
    }
  }

  function createCard(name) {
    const c = { name, root: h('article', 'sc-card'), stats: {} };
    c.root.dataset.scenario = name;
    const head = h('header', 'sc-head');
    c.dot = h('span', 'sc-dot');
    c.nameEl = h('span', 'sc-name', name);
    c.badge = h('span', 'sc-badge');
    head.append(c.dot, c.nameEl, h('span', 'spacer'), c.badge);
    c.title = h('div', 'sc-title');
    c.meta = h('div', 'sc-meta');
    c.error = h('div', 'sc-error');
    const dl = h('dl', 'sc-stats');
    for (const k of ['last', 'p99', 'evaluations', 'errors', 'rowsScanned', 'segSkipped', 'resultRows', 'seq']) {
      const cell = h('div', 'sc-stat');
      const dd = h('dd', '', '—');
      cell.append(h('dt', '', T.stats[k]), dd);
      dl.append(cell);
      c.stats[k] = dd;
    }
    const actions = h('div', 'sc-actions');
    const edit = h('button', 'btn small', T.edit);
    edit.type = 'button';
    edit.addEventListener('click', () => editScenario(name));
    const del = h('button', 'btn small danger', T.del);
    del.type = 'button';
    del.addEventListener('click', () => deleteScenario(name));
    const open = h('a', 'btn small link', T.openWall);
    open.href = wallLink(name, query);
    open.target = '_blank';
    open.rel = 'noopener';
    actions.append(edit, del, open);
    c.root.append(head, c.title, c.meta, c.error, dl, actions);
    return c;
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function updateCard(c, s) {
    const st = scenarioStatus(s);
    c.root.className = `sc-card status-${st}${c.name === app.loadedName ? ' is-loaded' : ''}`;
    setText(c.badge, T.status[st]);
    setText(c.title, s.title && s.title !== s.name ? String(s.title) : '');
    c.title.hidden = !c.title.textContent;
    const meta = [String(s.view || 'table'), describeTrigger(s, lang)];
    if (Array.isArray(s.key) && s.key.length) meta.push(`${T.keyLabel}: ${s.key.join(', ')}`);
    if (s.alert && s.alert.when) meta.push(`${T.alertLabel}: ${s.alert.when} (${s.alert.severity || 'warning'})`);
    setText(c.meta, meta.join(' · '));
    const err = st === 'error' ? String(s.last_error || T.status.error) : '';
    setText(c.error, err);
    c.error.hidden = !err;
    setText(c.stats.last, formatMs(s.last_eval_ms, lang));
    setText(c.stats.p99, formatMs(s.p99_eval_ms, lang));
    setText(c.stats.evaluations, formatCount(s.evaluations, lang));
    setText(c.stats.errors, formatCount(s.errors, lang));
    c.stats.errors.classList.toggle('bad', Number(s.errors) > 0);
    setText(c.stats.rowsScanned, formatCount(s.rows_scanned, lang));
    setText(c.stats.segSkipped, formatSegments(s, lang));
    c.stats.segSkipped.title = T.segTitle(formatCount(s.segments_skipped, lang), formatCount(s.segments_scanned, lang));
    setText(c.stats.resultRows, formatCount(s.result_rows, lang));
    setText(c.stats.seq, formatCount(s.seq, lang));
    c.stats.seq.title = s.epoch ? `epoch ${s.epoch}` : '';
  }

  // ---- catalog ----

  let catalogTimer = 0;
  async function loadCatalog() {
    clearTimeout(catalogTimer);
    const r = await api('GET', '/api/v1/streams');
    if (r.ok && Array.isArray(r.data)) {
      renderCatalog(r.data.filter((s) => s && typeof s.name === 'string'));
      catalogTimer = setTimeout(loadCatalog, CATALOG_REFRESH_MS);
    } else {
      if (!app.catalogSig) el.catalog.replaceChildren(h('div', 'cat-msg is-error', T.streamsFailed));
      catalogTimer = setTimeout(loadCatalog, 5000);
    }
  }

  function insertButton(text, cls, title) {
    const b = h('button', cls, text);
    b.type = 'button';
    b.title = title;
    b.addEventListener('mousedown', (e) => e.preventDefault()); // keep the editor's selection and focus
    b.addEventListener('click', (e) => { e.preventDefault(); insertAtCursor(text); });
    return b;
  }

  function renderCatalog(streams) {
    const sig = JSON.stringify(streams.map((s) => [s.name, s.event_time, s.id,
      (s.columns || []).map((c) => [c.name, c.type, c.nullable])]));
    if (sig !== app.catalogSig) {
      app.catalogSig = sig;
      app.catalogRefs.clear();
      if (streams.length === 0) {
        el.catalog.replaceChildren(h('div', 'cat-msg', T.noStreams));
        return;
      }
      el.catalog.replaceChildren(...streams.map((s) => {
        const d = h('details', 'cat-stream');
        d.open = true;
        const sum = h('summary');
        const rows = h('span', 'cat-rows');
        sum.append(insertButton(s.name, 'cat-name', T.insert), rows);
        const meta = h('div', 'cat-meta');
        const ul = h('ul', 'cat-cols');
        for (const c of s.columns || []) {
          const li = h('li');
          li.append(insertButton(c.name, 'cat-col', `${T.insert}: ${c.name}`));
          const tag = c.name === s.event_time ? ['⏱', T.eventTime] : c.name === s.id ? ['id', T.idCol] : null;
          if (tag) {
            const t = h('span', 'cat-tag', tag[0]);
            t.title = tag[1];
            li.append(t);
          }
          const ty = h('span', 'cat-type', `${c.type}${c.nullable ? '?' : ''}`);
          if (c.nullable) ty.title = T.nullable;
          li.append(ty);
          ul.append(li);
        }
        d.append(sum, meta, ul);
        app.catalogRefs.set(s.name, { rows, meta });
        return d;
      }));
    }
    for (const s of streams) {
      const ref = app.catalogRefs.get(s.name);
      if (!ref) continue;
      setText(ref.rows, T.rows(formatCount(s.rows, lang)));
      setText(ref.meta, T.streamMeta(s.retention ?? '—', formatCount(s.segments, lang)));
    }
  }

  // ---- start ----

  el.catalog.replaceChildren(h('div', 'cat-msg', T.streamsLoading));
  clearPreview();
  renderChips();
  const draft = loadDraft();
  if (draft) {
    writeForm({ ...emptyForm(), ...draft.form });
    app.loadedName = typeof draft.loadedName === 'string' ? draft.loadedName : null;
    // the saved copy is compared against once the list arrives (below)
  }
  syncTrigger();
  showFieldErrors(buildScenarioBody(readForm(), lang).errors);
  renderEditing();
  validateNow();
  loadCatalog();
  loadScenarios().then(() => {
    if (query.edit && app.scenarios.some((s) => s.name === query.edit)) {
      if (!draft || sameForm(readForm(), emptyForm()) || draft.loadedName === query.edit || confirm(T.confirmDiscard)) {
        loadIntoForm(formFromScenario(app.scenarios.find((s) => s.name === query.edit)), query.edit);
      }
    } else if (app.loadedName) {
      const s = app.scenarios.find((x) => x.name === app.loadedName);
      if (s) app.cleanForm = formFromScenario(s);
      else app.loadedName = null;
      renderEditing();
    }
  });
}

if (typeof window !== 'undefined' && typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
}
