// The mock's accounts and access, after api-component/src/access: who may call what (`need`),
// credentials (the `cwm_session` cookie, the admin bearer token, API tokens), sign-in with email
// and password (with the per-account failure limit and its 429), invites, one-time sign-in links,
// users, API and runner tokens, the runner list and the audit log. In memory, like the rest of
// the mock; passwords are salted SHA-256 here, argon2id on the real host.

import crypto from 'node:crypto';

export const COOKIE = 'cwm_session';
const SESSION_S = 168 * 3600;
const INVITE_S = 72 * 3600;
const LINK_S = 15 * 60;
const MIN_PASSWORD_CHARS = 10;
const FAIL_WINDOW_MS = 15 * 60_000;
const FAILS_PER_ACCOUNT = 10;
const ROLES = ['viewer', 'editor', 'admin'];
const rank = (role) => ROLES.indexOf(role);
const secret = (prefix = '') => `${prefix}${crypto.randomBytes(24).toString('base64url')}`;
const newId = (prefix) => `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
const hashPassword = (password, salt = crypto.randomBytes(12).toString('hex')) => `${salt}$${crypto.createHash('sha256').update(`${salt}:${password}`).digest('hex')}`;
const verifyPassword = (stored, password) => Boolean(stored) && hashPassword(password, stored.split('$')[0]) === stored;

/**
 * What `method` on the API path `parts` (split on '/', starting with 'api' or 'health') needs:
 * 'public', 'viewer', 'editor' or 'admin' (the real table is `access::need`).
 */
export function need(method, parts) {
  const path = parts.join('/');
  if (path === 'health') return 'public';
  if (parts[1] === 'auth') return parts[2] === 'signin-links' ? 'admin' : 'public';
  if (['users', 'runners', 'audit', 'webhooks'].includes(parts[1])) return 'admin';
  if (parts[1] === 'me' || parts[1] === 'tokens' || parts[1] === 'render' || parts[1] === 'usage') return 'viewer';
  if (parts[1] === 'search') return method === 'POST' ? 'admin' : 'viewer';
  if (parts[1] === 'jobs') return method === 'POST' || parts[3] === 'prompt' ? 'editor' : 'viewer';
  // Documents: reading is for viewers, everything else (upload, generate, PUT, DELETE) for editors.
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'editor';
}

/** Endpoints whose body is JSON (415 without `Content-Type: application/json`). */
const JSON_ENDPOINTS = new Set(['auth/login', 'auth/accept', 'auth/link', 'users', 'users/*', 'tokens', 'runners/tokens']);

function cookieOf(req) {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = pair.trim().split('=');
    if (k === COOKIE && v.join('=')) return v.join('=');
  }
  return null;
}

export function createAuth({ HttpError, adminToken = secret('admin-'), runners = () => [] }) {
  const users = new Map(); // id → record
  const byEmail = new Map(); // email → id
  const sessions = new Map(); // secret → { actor, expires }
  const invites = new Map(); // secret → { userId, expires }
  const links = new Map(); // secret → { expires }
  const tokens = new Map(); // secret → token record (also kept by id)
  const tokensById = new Map();
  const audit = [];
  const failures = new Map(); // `${email}/${window}` → count

  const label = (actor) => (actor.kind === 'admin' ? 'admin' : actor.email);
  const now = () => Date.now();
  const iso = (ms = now()) => new Date(ms).toISOString();
  const record = (actor, action, target, req) => audit.push({ at: iso(), actor, action, target, client: req?.socket?.remoteAddress ?? undefined });

  /** A person as of now: the user's current role and status count (capped for tokens). */
  function person(actor, cap, via) {
    const capped = (role) => (cap && rank(cap) < rank(role) ? cap : role);
    if (actor.kind === 'admin') return { actor, role: capped('admin'), via };
    const user = users.get(actor.id);
    if (!user || user.disabled) throw new HttpError(401, 'this account is disabled');
    return { actor: { kind: 'user', id: user.id, email: user.email }, role: capped(user.role), via };
  }

  /** The caller of `req`, null without a credential; 401 for one that is not valid. */
  function authenticate(req) {
    const auth = req.headers.authorization ?? '';
    const bearer = /^bearer /i.test(auth) ? auth.slice(7).trim() : null;
    if (bearer !== null) {
      if (bearer === adminToken) return { actor: { kind: 'admin' }, role: 'admin', via: 'admin_token' };
      const t = tokens.get(bearer);
      if (t && !t.revoked_at && t.kind === 'api') return person(t.ownerActor, t.role, 'token');
      if (t && !t.revoked_at && t.kind === 'runner') return { runner: t.runner };
      throw new HttpError(401, 'the bearer token is unknown or revoked');
    }
    const cookie = cookieOf(req);
    if (cookie) {
      const s = sessions.get(cookie);
      if (!s || s.expires <= now()) throw new HttpError(401, 'the session has ended; sign in again');
      return person(s.actor, null, 'session');
    }
    return null;
  }

  /** Authenticates and checks `req` against what its endpoint needs; the caller or null. */
  function admit(req, parts) {
    const needed = need(req.method, parts);
    let principal;
    try {
      principal = authenticate(req);
    } catch (err) {
      // A stale cookie must not keep anyone from signing in again.
      if (needed === 'public' && !req.headers.authorization) return null;
      throw err;
    }
    if (needed === 'public') return principal;
    if (!principal) throw new HttpError(401, 'sign in, or send a bearer token');
    if (principal.runner) throw new HttpError(403, 'runner tokens are for the runner protocol only');
    if (rank(principal.role) < rank(needed)) throw new HttpError(403, `this needs the ${needed} role; you have ${principal.role}`);
    return principal;
  }

  /** 403 for a write another site's page sent through the browser (as `guard::check`). */
  function checkOrigin(req) {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return;
    if ((req.headers['sec-fetch-site'] ?? '').toLowerCase() === 'cross-site') throw new HttpError(403, 'requests from other sites may not change anything here');
    const origin = req.headers.origin;
    if (origin && origin.replace(/^https?:\/\//, '') !== req.headers.host) throw new HttpError(403, `a request from ${origin} may not change anything on ${req.headers.host}`);
  }

  function checkJson(req, parts) {
    const key = parts.slice(1).map((p, i) => (i === 1 && parts[1] === 'users' ? '*' : p)).join('/');
    const generate = (parts.length === 3 && parts[2] === 'generate') || (parts.length === 4 && parts[2] === 'generate' && parts[3] === 'batch')
      || (parts.length === 4 && parts[3] === 'revise') || (parts.length === 4 && parts[1] === 'proposals' && parts[3] === 'approve');
    if (req.method === 'GET' || !(JSON_ENDPOINTS.has(key) || generate)) return;
    const mime = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mime !== 'application/json') throw new HttpError(415, 'this endpoint takes a JSON body; send Content-Type: application/json');
  }

  function me(p) {
    const user = p.actor.kind === 'user';
    return { kind: p.actor.kind, id: user ? p.actor.id : null, email: user ? p.actor.email : null, role: p.role, via: p.via };
  }

  const origin = (req) => `http://${req.headers.host}`;
  const maxAge = (s) => `Max-Age=${s}; Path=/; HttpOnly; SameSite=Strict`;

  function signedIn(res, send, actor, role) {
    const s = secret();
    sessions.set(s, { actor, expires: now() + SESSION_S * 1000 });
    return send(res, 200, me({ actor, role, via: 'session' }), { 'set-cookie': `${COOKIE}=${s}; ${maxAge(SESSION_S)}` });
  }

  function normalizeEmail(raw) {
    const email = String(raw ?? '').trim().toLowerCase();
    if (!/^[^\s@/]+@[^\s@/]+$/.test(email) || email.length > 254) throw new HttpError(400, `${JSON.stringify(raw)} is not an email address`);
    return email;
  }

  function role(raw) {
    if (!ROLES.includes(raw)) throw new HttpError(400, `unknown role ${JSON.stringify(raw)}: use viewer, editor or admin`);
    return raw;
  }

  function takeOnce(map, key) {
    const v = map.get(String(key ?? '').trim());
    map.delete(String(key ?? '').trim());
    return v && v.expires > now() ? v : null;
  }

  const userView = (u) => ({ id: u.id, email: u.email, role: u.role, disabled: u.disabled, active: Boolean(u.password), created_at: u.created_at, created_by: u.created_by });
  const tokenView = (t) => ({ id: t.id, name: t.name, kind: t.kind, ...(t.kind === 'api' ? { role: t.role } : { runner: t.runner }), owner: label(t.ownerActor), created_at: t.created_at, revoked_at: t.revoked_at });
  const mayManage = (p, t) => p.role === 'admin' || (p.actor.kind === 'user' && t.ownerActor.id === p.actor.id);

  function createToken(p, fields) {
    const name = String(fields.name ?? '').trim();
    if (!name || name.length > 100) throw new HttpError(400, 'a token needs a name of 1 to 100 printable characters');
    const s = secret('cwm_');
    const t = { id: newId('t'), ...fields, name, ownerActor: p.actor, created_at: iso(), revoked_at: null };
    tokens.set(s, t);
    tokensById.set(t.id, t);
    return [t, s];
  }

  function createUser(email, userRole, by) {
    if (byEmail.has(email)) throw new HttpError(409, `a user with the address ${email} exists already`);
    const u = { id: newId('u'), email, role: userRole, disabled: false, password: null, created_at: iso(), created_by: by };
    users.set(u.id, u);
    byEmail.set(email, u.id);
    const invite = secret();
    invites.set(invite, { userId: u.id, expires: now() + INVITE_S * 1000 });
    return { user: u, invite };
  }

  /** `/api/auth/*`, `/api/me`, users, tokens, runners and audit; false for other paths. */
  async function handle(req, res, url, parts, p, send, readJson) {
    const [, area, sub, ...rest] = parts;
    // `users/{id}` and `tokens/{id}` take an id; every other second segment is part of the name.
    const second = sub === undefined ? [] : [area === 'users' || area === 'tokens' ? '{id}' : sub];
    switch (`${req.method} ${[area, ...second, ...rest].join('/')}`) {
      case 'POST auth/login': {
        const body = await readJson();
        const email = normalizeEmail(body.email);
        const key = `${email}/${Math.floor(now() / FAIL_WINDOW_MS)}`;
        if ((failures.get(key) ?? 0) >= FAILS_PER_ACCOUNT) {
          const retry = Math.ceil((FAIL_WINDOW_MS - (now() % FAIL_WINDOW_MS)) / 1000);
          throw Object.assign(new HttpError(429, 'too many failed sign-ins for this account; try again later'), { headers: { 'retry-after': String(retry) } });
        }
        const user = users.get(byEmail.get(email));
        if (!user || user.disabled || !verifyPassword(user.password, String(body.password ?? ''))) {
          failures.set(key, (failures.get(key) ?? 0) + 1);
          record(email, 'sign_in_failed', email, req);
          throw new HttpError(401, 'wrong email or password');
        }
        record(user.email, 'sign_in', user.id, req);
        return signedIn(res, send, { kind: 'user', id: user.id, email: user.email }, user.role);
      }
      case 'POST auth/accept': {
        const body = await readJson();
        const password = String(body.password ?? '');
        if ([...password].length < MIN_PASSWORD_CHARS) throw new HttpError(400, `the password must have at least ${MIN_PASSWORD_CHARS} characters`);
        const invite = takeOnce(invites, body.invite);
        if (!invite) throw new HttpError(400, 'this invite is unknown, used or expired; ask an admin for a new one');
        const user = users.get(invite.userId);
        if (!user || user.disabled) throw new HttpError(403, 'this account is disabled');
        user.password = hashPassword(password);
        record(user.email, 'invite_accepted', user.id, req);
        return signedIn(res, send, { kind: 'user', id: user.id, email: user.email }, user.role);
      }
      case 'POST auth/link': {
        const body = await readJson();
        if (!takeOnce(links, body.code)) throw new HttpError(400, 'this sign-in link is unknown, used or expired');
        record('admin', 'sign_in', 'sign-in link', req);
        return signedIn(res, send, { kind: 'admin' }, 'admin');
      }
      case 'POST auth/logout': {
        const cookie = cookieOf(req);
        if (cookie) {
          sessions.delete(cookie);
          if (p) record(label(p.actor), 'sign_out', '', req);
        }
        return send(res, 204, null, { 'set-cookie': `${COOKIE}=; ${maxAge(0)}` });
      }
      case 'POST auth/signin-links': {
        const code = secret();
        links.set(code, { expires: now() + LINK_S * 1000 });
        record(label(p.actor), 'sign_in_link_created', '', req);
        return send(res, 201, { url: `${origin(req)}/#signin=${code}`, expires_in_s: LINK_S });
      }
      case 'GET me':
        return send(res, 200, me(p));
      case 'GET users':
        return send(res, 200, { users: [...users.values()].map(userView) });
      case 'POST users': {
        const body = await readJson();
        const { user, invite } = createUser(normalizeEmail(body.email), role(body.role), label(p.actor));
        record(label(p.actor), 'user_created', `${user.email} as ${user.role}`, req);
        return send(res, 201, { user: userView(user), invite_url: `${origin(req)}/#invite=${invite}`, invite_expires_in_s: INVITE_S });
      }
      case 'PATCH users/{id}': {
        const body = await readJson();
        if (body.role === undefined && body.disabled === undefined) throw new HttpError(400, 'send role or disabled');
        const user = users.get(decodeURIComponent(sub));
        if (!user) throw new HttpError(404, `no user with id ${JSON.stringify(sub)}`);
        if (body.role !== undefined && role(body.role) !== user.role) {
          record(label(p.actor), 'role_changed', `${user.email}: ${user.role} to ${body.role}`, req);
          user.role = body.role;
        }
        if (typeof body.disabled === 'boolean' && body.disabled !== user.disabled) {
          record(label(p.actor), body.disabled ? 'user_disabled' : 'user_enabled', user.email, req);
          user.disabled = body.disabled;
        }
        return send(res, 200, { user: userView(user) });
      }
      case 'GET tokens':
        return send(res, 200, { tokens: [...tokensById.values()].reverse().filter((t) => t.kind === 'api' && mayManage(p, t)).map(tokenView) });
      case 'POST tokens': {
        const body = await readJson();
        if (rank(role(body.role)) > rank(p.role)) throw new HttpError(403, `a token's role can be at most yours (${p.role})`);
        const [t, s] = createToken(p, { kind: 'api', role: body.role, name: body.name });
        record(label(p.actor), 'token_created', `${t.id} (${t.name})`, req);
        return send(res, 201, { id: t.id, token: s, name: t.name, role: t.role });
      }
      case 'DELETE tokens/{id}': {
        const t = tokensById.get(decodeURIComponent(sub));
        if (!t || !mayManage(p, t)) throw new HttpError(404, `no token with id ${JSON.stringify(sub)}`);
        if (!t.revoked_at) {
          t.revoked_at = iso();
          record(label(p.actor), 'token_revoked', `${t.id} (${t.name})`, req);
        }
        return send(res, 200, { token: tokenView(t) });
      }
      case 'GET runners/tokens':
        return send(res, 200, { tokens: [...tokensById.values()].reverse().filter((t) => t.kind === 'runner').map(tokenView) });
      case 'POST runners/tokens': {
        const body = await readJson();
        const runner = String(body.runner ?? '');
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(runner)) throw new HttpError(400, 'a runner name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
        const [t, s] = createToken(p, { kind: 'runner', runner, name: body.name ?? `runner ${runner}` });
        record(label(p.actor), 'runner_token_created', `${t.id} for ${runner}`, req);
        return send(res, 201, { id: t.id, token: s, runner, name: t.name });
      }
      case 'GET runners':
        return send(res, 200, { runners: runners() });
      case 'GET audit': {
        const limit = Number(url.searchParams.get('limit') ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new HttpError(400, 'limit must be a whole number from 1 to 200');
        // Slots are numbered from 1, oldest first; a cursor is the oldest slot already shown.
        const newest = url.searchParams.has('cursor') ? Number(url.searchParams.get('cursor')) - 1 : audit.length;
        const oldest = Math.max(1, newest - limit + 1);
        const entries = audit.slice(oldest - 1, newest).reverse();
        return send(res, 200, { entries, next_cursor: oldest > 1 ? String(oldest) : null });
      }
      default:
        return false;
    }
  }

  return {
    adminToken,
    admit,
    checkOrigin,
    checkJson,
    handle,
    /** Adds an audit entry `(actor, action, target)` for what another part of the mock did. */
    audit: record,
    /** Who `principal` is in documents' and jobs' `*_by` fields. */
    label: (principal) => (principal ? label(principal.actor) : 'anonymous'),
    /** Test setup without the browser: a user with a password, signed in by nobody. */
    addUser(email, userRole, password) {
      const { user } = createUser(normalizeEmail(email), role(userRole), 'admin');
      if (password) user.password = hashPassword(password);
      return userView(user);
    },
    /** Ends every session at once (as an expiry would), to test what the UI does then. */
    endSessions() { sessions.clear(); },
  };
}
