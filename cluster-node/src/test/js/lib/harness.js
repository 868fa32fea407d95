/*
 * What sdk.js, conversations.js and messages.js share:
 *
 *   - Cli: the command line (--flags, the common checks) and the result line printed exactly once;
 *     `guard()` sets the process up around a scenario (stdout clean, --debug, --timeout-ms, stray errors);
 *   - the SDK package of --sdk, the WebSocket tracing hook and the frame decoder (the SDK's own protobuf classes);
 *   - small helpers: sleep, namedError/usageError, waitUntil, restBase, traceHttpRequests;
 *   - ClientHarness: the client bookkeeping of conversations.js and messages.js (one Realtime per client on one of
 *     the --rtm nodes, every frame decoded and tagged with the current step, quiet periods, the common facts).
 *
 * Each script keeps its own scenarios, its own event recording and its own facts.
 */
'use strict';

const path = require('path');

// ---------------------------------------------------------------------------------------------
// small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An Error named `name` (it becomes the result's error.name: USAGE, TIMEOUT, NOT_FOUND...). */
function namedError(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

function usageError(message) {
  return namedError('USAGE', message);
}

/** Polls `test` every `pollMs` ms until it returns something truthy (returned); a TIMEOUT error after `ms`. */
async function waitUntil(test, ms, what, pollMs) {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = test();
    if (hit) return hit;
    if (Date.now() > deadline) throw namedError('TIMEOUT', `timed out after ${ms} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/**
 * The SDK's REST base (and router base): --server, else derived from an RTM URL (ws -> http, wss -> https) so the
 * SDK never falls back to LeanCloud's public app router. No trailing slash.
 */
function restBase(server, rtmUrl) {
  let base = server;
  if (!base && rtmUrl) {
    const u = new URL(rtmUrl);
    base = `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  }
  return base.replace(/\/+$/, '');
}

/**
 * Hooks Node's http and https `request` (which the SDKs' HTTP adapters use): `hooks.request(entry)` for every
 * request ({ method, url, status, error }), `hooks.response(entry)` once its status is known, `hooks.error(entry)`.
 */
function traceHttpRequests(hooks) {
  const wrap = (mod, scheme) => {
    const orig = mod.request;
    mod.request = function tracedRequest(...a) {
      let url;
      let method = 'GET';
      try {
        let opts = {};
        if (typeof a[0] === 'string' || a[0] instanceof URL) {
          url = String(a[0]);
          if (a[1] && typeof a[1] === 'object') opts = a[1];
        } else {
          opts = a[0] || {};
          const host = opts.hostname || opts.host || 'localhost';
          url = `${opts.protocol || `${scheme}:`}//${host}${opts.port ? `:${opts.port}` : ''}${opts.path || '/'}`;
        }
        method = opts.method || 'GET';
      } catch (e) { url = '?'; }
      const entry = { method, url, status: null, error: null };
      hooks.request(entry);
      const req = orig.apply(this, a);
      req.on('response', (res) => {
        entry.status = res.statusCode;
        if (hooks.response) hooks.response(entry);
      });
      req.on('error', (e) => {
        entry.error = e.message;
        if (hooks.error) hooks.error(entry);
      });
      return req;
    };
  };
  wrap(require('http'), 'http');
  wrap(require('https'), 'https');
}

// ---------------------------------------------------------------------------------------------
// the command line and the result line

/**
 * `--key value` or `--key=value`; a key of `booleans` takes no value (`--key=false` turns it off); a key of
 * `repeatable` collects its values in an array. Anything else is positional (`_`).
 */
function parseArgs(argv, booleans, repeatable) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    let key = a.slice(2);
    let value;
    const eq = key.indexOf('=');
    if (eq >= 0) { value = key.slice(eq + 1); key = key.slice(0, eq); }
    if (booleans.has(key)) { out[key] = value === undefined ? true : value !== 'false'; continue; }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw usageError(`missing value for --${key}`);
      value = argv[++i];
    }
    if (repeatable.has(key)) (out[key] = out[key] || []).push(value);
    else out[key] = value;
  }
  return out;
}

/** An error as the result line shows it: {name, code, message}. */
function errorJson(error) {
  return {
    name: (error && (error.name || (error.constructor && error.constructor.name))) || 'Error',
    code: error && error.code !== undefined ? error.code : null,
    message: error && error.message !== undefined ? String(error.message) : String(error),
  };
}

/**
 * One run of a script. The constructor parses process.argv and checks what every script needs (a known scenario,
 * --sdk 4|5, --app-id, --app-key), then the script's own `check(args)`; a usage error is printed at once and sets
 * `done` (the script must then not start). `facts` collects the result; `finish` prints the result line once:
 * {"ok":true,...facts} (exit 0) or {"ok":false,"error":{"name","code","message"},"facts":{...}} (exit 1).
 */
class Cli {
  constructor({ script, booleans, repeatable = [], scenarios, check }) {
    this.script = script;
    this.facts = {};
    this.done = false;
    this.args = undefined;
    try {
      this.args = parseArgs(process.argv.slice(2), new Set(booleans), new Set(repeatable));
      const args = this.args;
      if (!scenarios.includes(args._[0])) throw usageError(`scenario must be one of ${scenarios.join(', ')}`);
      if (args.sdk !== '4' && args.sdk !== '5') throw usageError('--sdk must be 4 or 5');
      if (!args['app-id']) throw usageError('--app-id is required');
      if (!args['app-key']) throw usageError('--app-key is required');
      if (check) check(args);
    } catch (e) {
      this.finish(false, e);
    }
  }

  finish(ok, error) {
    if (this.done) return;
    this.done = true;
    const out = ok ? Object.assign({ ok: true }, this.facts) : { ok: false, error: errorJson(error), facts: this.facts };
    if (!ok && error && error.stack) this.log(error.stack);
    process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(ok ? 0 : 1));
  }

  /** A diagnostic line on stderr, tagged with the script's name. */
  log(text) {
    process.stderr.write(`[${this.script}] ${text}\n`);
  }

  /**
   * The process around the scenario: console output goes to stderr (stdout carries only the result line),
   * --debug adds the SDK's debug output (DEBUG=LC:*), the run fails with TIMEOUT after --timeout-ms (default
   * `timeoutMs`; `onTimeout()` runs first) or on an uncaught exception; an unhandled rejection is logged and,
   * with `recordRejections`, listed in facts.unhandledRejections.
   */
  guard({ timeoutMs, onTimeout, recordRejections }) {
    const args = this.args;
    console.log = (...a) => console.error(...a);
    console.info = (...a) => console.error(...a);
    console.warn = (...a) => console.error(...a);
    if (args.debug) process.env.DEBUG = process.env.DEBUG ? `${process.env.DEBUG},LC:*` : 'LC:*';
    const limit = Number(args['timeout-ms'] || timeoutMs);
    const timer = setTimeout(() => {
      const e = namedError('TIMEOUT', `scenario did not finish within ${limit} ms`);
      if (onTimeout) onTimeout();
      this.finish(false, e);
    }, limit);
    timer.unref();
    if (recordRejections) this.facts.unhandledRejections = [];
    process.on('unhandledRejection', (e) => {
      // e.g. the SDK failing to resolve the conversation of a push (its conv/query) inside its dispatcher
      if (recordRejections) this.facts.unhandledRejections.push(errorJson(e));
      this.log(`unhandled rejection: ${e && e.stack ? e.stack : e}`);
    });
    process.on('uncaughtException', (e) => this.finish(false, e));
  }
}

// ---------------------------------------------------------------------------------------------
// the SDK and its WebSocket frames

/** The SDK package of --sdk (npm aliases): lc4 = leancloud-realtime 4.3.1, lc5 = 5.0.0-rc.8. */
function sdkPackage(sdk) {
  const pkg = sdk === '4' ? 'lc4' : 'lc5';
  return {
    pkg,
    main: require.resolve(pkg),
    dir: path.dirname(require.resolve(`${pkg}/package.json`)),
    version: require(`${pkg}/package.json`).version,
  };
}

/**
 * Replaces the `ws` class the SDK loads (v4 requires it itself, v5 through @leancloud/platform-adapters-node) by a
 * subclass that reports to `hooks`: `connect(ws, address, protocols)` for every new WebSocket, returning the
 * connection's record (kept as ws.__parley), and `frame(conn, 'in' | 'out', data)` for every frame. Must run
 * before the SDK is loaded.
 */
function traceWebSockets(sdk, hooks) {
  const wsFrom = sdk.pkg === 'lc5'
    ? path.dirname(require.resolve('@leancloud/platform-adapters-node/package.json', { paths: [sdk.dir] }))
    : sdk.dir;
  const wsPath = require.resolve('ws', { paths: [wsFrom] });
  const WS = require(wsPath);
  class TracingWebSocket extends WS {
    constructor(address, protocols, options) {
      super(address, protocols, options);
      const conn = hooks.connect(this, address, protocols);
      this.__parley = conn;
      this.on('message', (data) => hooks.frame(conn, 'in', data));
    }

    send(data, opts, cb) {
      hooks.frame(this.__parley, 'out', data);
      return super.send(data, opts, cb);
    }
  }
  require.cache[wsPath].exports = TracingWebSocket;
}

/** A frame (binary or base64 text) decoded with the SDK-bundled protobufjs 5 classes; null without them. */
function decodeFrame(Protocols, data) {
  if (!Protocols) return null;
  try {
    const payload = typeof data === 'string' ? data : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    return plain(Protocols.GenericCommand.decode(payload).toRaw(false, false));
  } catch (e) {
    return { decodeError: e.message };
  }
}

// protobufjs 5 toRaw() output -> plain JSON: Long -> number, ByteBuffer -> base64,
// drop unset (null) fields and empty repeated fields (absent on the wire).
function plain(v) {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const arr = v.map(plain).filter((x) => x !== undefined);
    return arr.length ? arr : undefined;
  }
  if (typeof v === 'object') {
    if (typeof v.low === 'number' && typeof v.high === 'number' && typeof v.toNumber === 'function') return v.toNumber();
    if (typeof v.toBase64 === 'function' && typeof v.limit === 'number') return v.toBase64();
    if (Buffer.isBuffer(v)) return v.toString('base64');
    const o = {};
    for (const k of Object.keys(v)) {
      const p = plain(v[k]);
      if (p !== undefined) o[k] = p;
    }
    return o;
  }
  return v;
}

/** A --trace line on stderr. */
function traceLine(obj) {
  process.stderr.write(`[trace] ${JSON.stringify(obj)}\n`);
}

// ---------------------------------------------------------------------------------------------
// the clients of conversations.js and messages.js

/**
 * Clients spread over the --rtm nodes, each with its own Realtime (`newRealtime`; 5.x refuses a second
 * `new Realtime` for an appId in one module instance, so every further one comes from a fresh copy of the SDK
 * module), and every frame of every WebSocket decoded and tagged with the current step (`begin`).
 *
 * A subclass logs clients in (`newRealtime`, then `openClient`) and records their SDK events in `entry.events`
 * (touching `lastActivity`); it may react to frames (`onFrame`) and session opens (`onSessionOpen`), and names a
 * client's wire evidence (`wireOf`). Entries in `clients` (by short name) have at least
 * { name, id, url, realtime, client, conns (ids of its connections), events, closed }.
 */
class ClientHarness {
  constructor(cli, { quietMs, pollMs }) {
    const args = cli.args;
    this.cli = cli;
    this.args = args;
    this.facts = cli.facts;
    this.sdk = sdkPackage(args.sdk);
    this.sdkVersion = this.sdk.version;
    this.run = args.run || Math.random().toString(36).slice(2, 8);
    this.quietMs = Number(args['quiet-ms'] || quietMs);
    this.pollMs = pollMs; // how often `settle` looks
    this.rtm = args.rtm.split(',').map((s) => s.trim()).filter(Boolean);
    this.started = Date.now();
    this.connections = []; // { id, url, peers (the ids it opened sessions for), negotiated, close (code), ws, killed }
    this.frames = []; // { t, conn, dir, type, step, d (decoded) }
    this.clients = new Map(); // short name -> entry
    this.idToName = new Map();
    this.step = 'login';
    this.lastActivity = Date.now();
    this.realtimes = 0;
    this.loggingIn = null; // the entry whose createIMClient is under way
    traceWebSockets(this.sdk, {
      connect: (ws, address) => {
        const conn = { id: this.connections.length + 1, url: String(address), peers: [], negotiated: null, close: null, ws, killed: false };
        this.connections.push(conn);
        ws.on('open', () => { conn.negotiated = ws.protocol; });
        ws.on('close', (code) => { conn.close = code; });
        return conn;
      },
      frame: (conn, dir, data) => this.record(conn, dir, data),
    });
    this.SDK = this.loadSdk();
    this.Protocols = this.SDK.Protocols || this.SDK.Protocals;
  }

  loadSdk() {
    if (this.realtimes > 0 && this.sdk.pkg === 'lc5') delete require.cache[this.sdk.main]; // a fresh module instance
    return require(this.sdk.main);
  }

  record(conn, dir, data) {
    const d = decodeFrame(this.Protocols, data) || {};
    if (dir === 'out' && d.cmd === 'session' && d.op === 'open' && d.peerId) this.onSessionOpen(conn, d.peerId);
    const f = { t: Date.now() - this.started, conn: conn.id, dir, type: typeof data === 'string' ? 'text' : 'binary', step: this.step, d };
    this.frames.push(f);
    if (dir === 'in') this.lastActivity = Date.now();
    if (this.args.trace) traceLine(f);
    this.onFrame(conn, f);
  }

  /** A session/open for `peerId` sent on `conn`. */
  onSessionOpen(conn, peerId) {
    if (!conn.peers.includes(peerId)) conn.peers.push(peerId);
  }

  /** Every frame, once recorded. */
  onFrame(conn, f) {}

  // the client the SDK dispatches a frame to: peerId, else the connection's first client
  owner(connId, d) {
    const conn = this.connections[connId - 1];
    const id = d.peerId !== undefined ? d.peerId : conn.peers[0];
    for (const c of this.clients.values()) if (c.id === id && c.conns.has(connId)) return c;
    return null;
  }

  name(id) {
    return this.idToName.get(id) || id;
  }

  names(ids) {
    return Array.isArray(ids) ? ids.map((x) => this.name(x)) : ids;
  }

  /** Options of a Realtime on node `url` (RTMServers = [url]), plus `extra`. */
  realtimeOptions(url, extra) {
    const args = this.args;
    const o = { appId: args['app-id'], appKey: args['app-key'], noBinary: !!args['no-binary'], RTMServers: [url] };
    // `server` is the REST base (and router, unused with RTMServers)
    let base = restBase(args.server, url);
    o.ssl = !base.startsWith('http:');
    if (args.sdk === '4') base = base.replace(/^[a-z]+:\/\//i, ''); // 4.3.1 takes a bare host (always https)
    o.server = base;
    return Object.assign(o, extra || {});
  }

  /** A new Realtime on node `url`, from a fresh copy of the SDK module (5.x); returns { SDK, realtime }. */
  newRealtime(url, extra) {
    const SDK = this.loadSdk();
    const realtime = new SDK.Realtime(this.realtimeOptions(url, extra));
    this.realtimes++;
    return { SDK, realtime };
  }

  /** createIMClient for an entry already in `clients`; the WebSockets opened meanwhile are its connections. */
  async openClient(entry) {
    const before = this.connections.length;
    this.loggingIn = entry;
    try {
      entry.client = await entry.realtime.createIMClient(entry.id);
    } finally {
      this.loggingIn = null;
    }
    this.connections.slice(before).forEach((c) => entry.conns.add(c.id));
    return entry.client;
  }

  /** Starts a step: events and frames from now on are tagged with it. */
  begin(step) {
    this.step = step;
  }

  /** Waits until nothing (frame or SDK event) has arrived for quietMs, and at least quietMs. */
  async settle(quietMs) {
    const quiet = quietMs === undefined ? this.quietMs : quietMs;
    const start = Date.now();
    const cap = start + 15000;
    for (;;) {
      const now = Date.now();
      if (now - start >= quiet && now - this.lastActivity >= quiet) return;
      if (now > cap) return;
      await sleep(this.pollMs);
    }
  }

  /** SDK events per client for one step: { Tom: [...], Jerry: [...] } (every client present). */
  eventsOf(step, filter) {
    return this.perClient('events', step, filter);
  }

  /** The records in entry[list] of one step (and passing `filter`), per client, without their step. */
  perClient(list, step, filter) {
    const out = {};
    for (const c of this.clients.values()) {
      out[c.name] = c[list].filter((e) => e.step === step && (!filter || filter(e)))
        .map((e) => { const x = Object.assign({}, e); delete x.step; return x; });
    }
    return out;
  }

  async closeAll() {
    const closing = [];
    for (const c of this.clients.values()) {
      if (c.client && !c.closed) {
        c.closed = true;
        closing.push(Promise.race([c.client.close().catch(() => {}), sleep(3000)]));
      }
    }
    await Promise.all(closing);
    for (let k = 0; k < 40 && this.connections.some((c) => c.negotiated && c.close === null); k++) await sleep(50);
  }

  /** Facts of every run: ids, nodes and wire evidence per client (a subclass adds its own after these). */
  report() {
    const facts = this.facts;
    facts.ids = {};
    facts.nodes = {};
    facts.wire = {};
    for (const c of this.clients.values()) {
      facts.ids[c.name] = c.id;
      facts.nodes[c.name] = c.url;
      facts.wire[c.name] = this.wireOf(c.name);
    }
  }

  /** The WebSocket subprotocols negotiated. */
  subprotocols() {
    return Array.from(new Set(this.connections.map((c) => c.negotiated).filter(Boolean)));
  }

  /** Runs `scenario(this)`, closes every client, reports, and prints the result line. */
  play(scenario) {
    const { args, facts, cli } = this;
    facts.scenario = args._[0];
    facts.sdk = Number(args.sdk);
    facts.sdkVersion = this.sdkVersion;
    facts.run = this.run;
    facts.binary = !args['no-binary'];
    scenario(this)
      .then(() => this.closeAll())
      .then(() => { this.report(); cli.finish(true); }, async (e) => {
        await this.closeAll().catch(() => {});
        this.report();
        cli.finish(false, e);
      });
  }
}

module.exports = {
  sleep,
  namedError,
  usageError,
  waitUntil,
  restBase,
  traceHttpRequests,
  errorJson,
  Cli,
  sdkPackage,
  traceWebSockets,
  decodeFrame,
  traceLine,
  ClientHarness,
};
