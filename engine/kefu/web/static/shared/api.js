// HTTP calls to Kefu's JSON API with the signed-in person's access token, renewed with the
// refresh token before it expires (and once more on a 401). An endpoint this server does not
// have (404/405/501 on the route itself) is reported as `unavailable`, so pages can say so
// instead of showing invented data.

const TOKEN_KEY = "kefu.agent";
const RENEW_AT = 0.8; // of the access token's lifetime

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }

  get unavailable() {
    return this.status === 404 || this.status === 405 || this.status === 501;
  }

  get forbidden() {
    return this.status === 403;
  }
}

/** The signed-in person of this tab ({token, refresh_token, expires_in, role, agent}), or null. */
export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
  } catch {
    return null;
  }
}

function saveSession(session) {
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ ...session, obtained_at: Date.now() }));
  scheduleRenewal();
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(renewTimer);
}

async function request(path, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) {
    const detail = (data && (data.detail || data.error || data.message)) || response.statusText;
    throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail), data);
  }
  return data;
}

let renewal = null;
let renewTimer = null;

/** Trades the refresh token for a new pair; false (and signed out) when that is refused. */
export function renewSession() {
  const session = currentSession();
  if (!session || !session.refresh_token) return Promise.resolve(false);
  // Concurrent callers share one renewal: a refresh token is single-use.
  renewal ??= request("/api/auth/refresh", { method: "POST", body: { refresh_token: session.refresh_token } })
    .then((pair) => {
      saveSession({ ...session, token: pair.token, refresh_token: pair.refresh_token, expires_in: pair.expires_in, role: pair.role });
      return true;
    })
    .catch(() => {
      clearSession();
      window.dispatchEvent(new Event("kefu:signed-out"));
      return false;
    })
    .finally(() => {
      renewal = null;
    });
  return renewal;
}

export function scheduleRenewal() {
  clearTimeout(renewTimer);
  const session = currentSession();
  if (!session || !session.refresh_token || !session.expires_in) return;
  const due = session.obtained_at + session.expires_in * 1000 * RENEW_AT - Date.now();
  renewTimer = setTimeout(renewSession, Math.max(0, due));
}

export async function api(path, options = {}) {
  try {
    return await request(path, { ...options, token: currentSession()?.token });
  } catch (exc) {
    if (exc.status !== 401 || !currentSession()?.refresh_token) throw exc;
    if (!(await renewSession())) throw exc;
    return request(path, { ...options, token: currentSession()?.token });
  }
}

export async function login(username, password) {
  const session = await request("/api/agents/login", { method: "POST", body: { username, password } });
  saveSession(session);
  return currentSession();
}

/** Ends the session on the server (access and refresh tokens revoked), then locally. */
export async function logout() {
  const session = currentSession();
  if (session) {
    try {
      await request("/api/auth/logout", { method: "POST", body: { refresh_token: session.refresh_token }, token: session.token });
    } catch {
      // Signed out locally anyway; the tokens expire on their own.
    }
  }
  clearSession();
}
