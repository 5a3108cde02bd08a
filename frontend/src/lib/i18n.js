// Vietnamese by default, English on request: `?lang=en` or the choice kept in localStorage.
const KEY = 'ioc.lang';

const params = new URLSearchParams(location.search);
let lang = params.get('lang') || safeGet(KEY) || 'vi';
if (lang !== 'vi' && lang !== 'en') lang = 'vi';
if (params.get('lang')) safeSet(KEY, lang);
document.documentElement.lang = lang;

function safeGet(k) { try { return localStorage.getItem(k); } catch { return null; } }
function safeSet(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode */ } }

export const getLang = () => lang;
export const locale = () => (lang === 'en' ? 'en-US' : 'vi-VN');

/** Switches the language: persisted, then the page reloads into it (every text is rebuilt). */
export function setLang(next) {
  safeSet(KEY, next);
  const url = new URL(location.href);
  url.searchParams.delete('lang');
  location.replace(url.toString());
}

const DICT = {
  vi: {
    connected: 'Đã kết nối', connecting: 'Đang kết nối…', disconnected: 'Mất kết nối',
    reconnect_in: 'thử lại sau {s} giây', as_of: 'lúc {t}', stale: 'chưa cập nhật', no_data: 'Chưa có dữ liệu',
    no_scenario: 'Không có kịch bản “{s}”', scenario_error: 'Kịch bản lỗi', waiting: 'Đang chờ dữ liệu…',
    alerts: 'Cảnh báo', no_alerts: 'Không có cảnh báo', ack: 'Xác nhận', acked_by: 'Đã xác nhận: {who} lúc {t}',
    sound_on: 'Âm thanh: bật', sound_off: 'Âm thanh: tắt', page: 'Trang {i}/{n}', pause: 'Dừng xoay', play: 'Xoay trang',
    change: 'so với {m} phút trước', vs_last_month: 'so với tháng trước', target: 'Mục tiêu', target_gap: 'còn thiếu', choose_filter: 'Chọn xã/phường để xem', severity_critical: 'Nghiêm trọng', severity_warning: 'Cảnh báo', severity_info: 'Thông tin',
    firing: 'đang kích hoạt', resolved: 'đã hết', lang_other: 'English', lang_other_code: 'en',
    last_update: 'Cập nhật', rows: '{n} dòng', total: 'Tổng', nothing: 'Không có dữ liệu',
    // tablet
    all_communes: 'Tất cả xã/phường', all_agencies: 'Tất cả cơ quan', commune: 'Xã/phường', agency: 'Cơ quan',
    filter: 'Lọc', tablet_title: 'Bảng điều hành lãnh đạo', province_wide: 'toàn tỉnh',
    // console
    console_title: 'Bàn làm việc phân tích', editor: 'Câu lệnh SQL', validate_ok: 'Hợp lệ — {n} cột: {cols}',
    validating: 'Đang kiểm tra…', preview: 'Xem trước', save: 'Lưu', delete: 'Xóa', new_scenario: 'Kịch bản mới',
    name: 'Tên (mã)', title: 'Tiêu đề', every: 'Chu kỳ (ms)', key: 'Khóa (các cột, dấu phẩy)',
    alert_when: 'Cảnh báo khi (điều kiện)', severity: 'Mức độ', view: 'Hiển thị',
    scenarios: 'Kịch bản', status: 'Trạng thái', cost: 'Chi phí', last_eval: 'Lần cuối', p99: 'p99',
    rows_scanned: 'Dòng quét', segments: 'Phân đoạn (quét/bỏ qua/bộ đệm)', result_rows: 'Dòng kết quả', errors: 'Lỗi',
    cache: 'Bộ đệm', mode_incremental: 'tăng dần', mode_full: 'toàn bộ',
    mode_incremental_hint: 'Mỗi lần chỉ đọc dữ liệu mới; kết quả từng phân đoạn đã niêm phong được giữ lại',
    saved: 'Đã lưu “{s}”', deleted: 'Đã xóa “{s}”', confirm_delete: 'Xóa kịch bản “{s}”?',
    add_to_dashboard: 'Thêm vào bảng', dashboard: 'Bảng hiển thị', page_n: 'Trang', panel_type: 'Kiểu ô',
    added_to_dashboard: 'Đã thêm “{s}” vào bảng “{d}”', preview_rows: '{n} dòng', truncated: '(đã cắt bớt)',
    line_col: 'dòng {l}, cột {c}', catalog: 'Danh mục dữ liệu', stream: 'luồng', reference: 'bảng tham chiếu',
    load: 'Mở', ok: 'ổn', error: 'lỗi', open_wall: 'Màn hình tường', open_tablet: 'Máy tính bảng',
    name_required: 'Cần có tên (chữ thường, số, gạch dưới)', trigger: 'Kích hoạt', on_interval: 'theo chu kỳ', on_change: 'khi có dữ liệu mới', run_hint: 'Ctrl+Enter: xem trước',
  },
  en: {
    connected: 'Connected', connecting: 'Connecting…', disconnected: 'Disconnected',
    reconnect_in: 'retrying in {s} s', as_of: 'as of {t}', stale: 'not updated', no_data: 'No data yet',
    no_scenario: 'No such scenario “{s}”', scenario_error: 'Scenario error', waiting: 'Waiting for data…',
    alerts: 'Alerts', no_alerts: 'No alerts', ack: 'Acknowledge', acked_by: 'Acknowledged by {who} at {t}',
    sound_on: 'Sound: on', sound_off: 'Sound: off', page: 'Page {i}/{n}', pause: 'Pause rotation', play: 'Rotate pages',
    change: 'vs {m} min ago', vs_last_month: 'vs last month', target: 'Target', target_gap: 'short by', choose_filter: 'Choose a commune/ward', severity_critical: 'Critical', severity_warning: 'Warning', severity_info: 'Info',
    firing: 'firing', resolved: 'resolved', lang_other: 'Tiếng Việt', lang_other_code: 'vi',
    last_update: 'Updated', rows: '{n} rows', total: 'Total', nothing: 'Nothing to show',
    all_communes: 'All communes and wards', all_agencies: 'All agencies', commune: 'Commune/ward', agency: 'Agency',
    filter: 'Filter', tablet_title: 'Leaders’ dashboard', province_wide: 'whole province',
    console_title: 'Analyst console', editor: 'SQL', validate_ok: 'Valid — {n} columns: {cols}',
    validating: 'Checking…', preview: 'Preview', save: 'Save', delete: 'Delete', new_scenario: 'New scenario',
    name: 'Name (id)', title: 'Title', every: 'Interval (ms)', key: 'Key (columns, commas)',
    alert_when: 'Alert when (condition)', severity: 'Severity', view: 'View',
    scenarios: 'Scenarios', status: 'Status', cost: 'Cost', last_eval: 'Last', p99: 'p99',
    rows_scanned: 'Rows scanned', segments: 'Segments (read/skipped/cached)', result_rows: 'Result rows', errors: 'Errors',
    cache: 'Cache', mode_incremental: 'incremental', mode_full: 'full',
    mode_incremental_hint: 'Each evaluation reads only new data; sealed segments keep their partial aggregates',
    saved: 'Saved “{s}”', deleted: 'Deleted “{s}”', confirm_delete: 'Delete scenario “{s}”?',
    add_to_dashboard: 'Add to dashboard', dashboard: 'Dashboard', page_n: 'Page', panel_type: 'Panel type',
    added_to_dashboard: 'Added “{s}” to dashboard “{d}”', preview_rows: '{n} rows', truncated: '(truncated)',
    line_col: 'line {l}, column {c}', catalog: 'Data catalog', stream: 'stream', reference: 'reference table',
    load: 'Open', ok: 'ok', error: 'error', open_wall: 'Wall', open_tablet: 'Tablet',
    name_required: 'A name is required (lower case, digits, underscore)', trigger: 'Trigger', on_interval: 'every interval', on_change: 'on new data', run_hint: 'Ctrl+Enter: preview',
  },
};

/** A UI string, with `{name}` placeholders filled from `vars`. */
export function t(id, vars = {}) {
  const s = DICT[lang][id] ?? DICT.vi[id] ?? id;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

/** Picks the language's variant: a panel's `title`/`title_en`, or a "Vietnamese — English" scenario title. */
export function pick(vi, en) {
  if (lang === 'en' && en) return en;
  return vi ?? en ?? '';
}
export function splitTitle(title) {
  const parts = String(title || '').split(' — ');
  if (parts.length >= 2) return lang === 'en' ? parts.slice(1).join(' — ') : parts[0];
  return title || '';
}

/** Replaces the text of every `[data-i18n]` element. */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}
