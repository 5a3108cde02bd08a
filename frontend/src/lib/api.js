// REST calls: the page's `?token=` (if any) goes on as a Bearer token; errors keep the server's JSON body.
const params = new URLSearchParams(location.search);
export const token = params.get('token') || '';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.code = body?.error?.code;
  }
}

export async function api(path, { method = 'GET', body, signal, contentType } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType || 'application/json';
  const res = await fetch(path, {
    method, headers, signal,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    cache: 'no-store',
  });
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: { message: text } }; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export function wsUrl() {
  const u = new URL('/ws', location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) u.searchParams.set('token', token);
  return u.toString();
}

/** Keeps `?token=` and `?lang=` when linking to another face. */
export function pageLink(path) {
  const u = new URL(path, location.href);
  if (token) u.searchParams.set('token', token);
  return u.pathname + u.search;
}

/** The scenarios, by name (`every_ms`, `status`, `title`, ...). */
export async function loadScenarios() {
  const list = await api('/api/v1/scenarios');
  return new Map(list.map((s) => [s.name, s]));
}

/** Dashboards from `queries/dashboards/*.toml`; null when the server does not serve them. */
export async function loadDashboards() {
  try {
    return await api('/api/v1/dashboards');
  } catch (e) {
    if (e.status === 404 || e.status === 405) return null;
    throw e;
  }
}
