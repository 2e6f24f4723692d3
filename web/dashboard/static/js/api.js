// The /v1 API with the bearer token. The token lives in this module's variable only: never
// in a URL, a cookie, localStorage or sessionStorage, and never logged. A reload forgets it.

let token = null;
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "error";
    // [{field, message}] when the API names the field (422 and some 400s).
    this.details = error.details || [];
  }
}

export function setToken(value) {
  token = value;
}

export function hasToken() {
  return token !== null;
}

export function forgetToken() {
  token = null;
}

export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

// A query string from an object, leaving out empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// Calls the API and returns the decoded body; throws ApiError for any non-2xx answer.
export async function api(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, cache: "no-store", credentials: "omit" };
  if (token !== null) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let decoded = null;
  if (text) {
    try {
      decoded = JSON.parse(text);
    } catch {
      decoded = null;
    }
  }
  if (response.status === 401 && token !== null) onUnauthorized();
  if (!response.ok) throw new ApiError(response.status, decoded);
  return decoded;
}

// Health endpoints answer 503 with a body that says why: return both, never throw on it.
export async function health(path) {
  try {
    const response = await fetch(path, { cache: "no-store", credentials: "omit" });
    return { ok: response.ok, body: await response.json() };
  } catch {
    return { ok: false, body: null };
  }
}

export const get = (path) => api("GET", path);
export const post = (path, body, headers) => api("POST", path, { body, headers });
export const patch = (path, body) => api("PATCH", path, { body });
export const del = (path) => api("DELETE", path);
