#!/usr/bin/env node
/*
 * Parley JS SDK harness: drives the unmodified official LeanCloud realtime SDKs
 * (leancloud-realtime 4.3.1 as "lc4", 5.0.0-rc.8 as "lc5") against a server.
 *
 *   node sdk.js <scenario> --sdk 4|5 --app-id ID --app-key KEY
 *        [--server https://127.0.0.1:P | http://127.0.0.1:P]   router + REST base
 *        [--rtm ws://127.0.0.1:P/[,wss://...]]                  RTMServers (router skipped)
 *        [--ids a,b] [--no-binary] [--no-ssl] [--timeout-ms N]
 *        [--drop terminate|close|pause] [--insecure | --ca FILE] [--trace] [--debug]
 *
 * Scenarios: login, login-two, reconnect-with-token, close-then-other-reconnects.
 *
 * stdout: exactly one line, a JSON object: {"ok":true,...facts} (exit 0) or
 *         {"ok":false,"error":{"name","code","message"},"facts":{...}} (exit 1).
 * stderr: diagnostics; with --trace one "[trace] {...}" line per WebSocket frame / HTTP request;
 *         with --debug the SDK's own debug output (DEBUG=LC:*).
 */
'use strict';

const path = require('path');
const fs = require('fs');
const {
  Cli, usageError, namedError, sleep, restBase, sdkPackage, traceWebSockets, decodeFrame, traceLine, traceHttpRequests,
} = require('./lib/harness');

const SCENARIOS = ['login', 'login-two', 'reconnect-with-token', 'close-then-other-reconnects'];

const cli = new Cli({
  script: 'sdk.js',
  booleans: ['no-binary', 'no-ssl', 'insecure', 'trace', 'debug'],
  scenarios: SCENARIOS,
  check(args) {
    if (!args.server && !args.rtm) throw usageError('one of --server or --rtm is required');
    if (args.drop && !['terminate', 'close', 'pause'].includes(args.drop)) throw usageError('--drop must be terminate|close|pause');
  },
});
const { args, facts } = cli;

// ---------------------------------------------------------------------------------------------
// TLS trust. NODE_EXTRA_CA_CERTS is only read at process start, and the SDKs' WebSocket client
// (ws, which calls tls.connect itself) ignores https.globalAgent; so for --ca we re-run this
// script in a child process with NODE_EXTRA_CA_CERTS set. That covers axios (v4 router/REST),
// superagent (v5 router/REST) and ws (wss://) alike.

if (!cli.done && args.ca) {
  const caFile = path.resolve(args.ca);
  if (!fs.existsSync(caFile)) {
    cli.finish(false, usageError(`--ca file not found: ${caFile}`));
  } else if (process.env.NODE_EXTRA_CA_CERTS !== caFile) {
    cli.done = true; // the child prints the result
    const { spawn } = require('child_process');
    const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: Object.assign({}, process.env, { NODE_EXTRA_CA_CERTS: caFile }),
    });
    const forward = (sig) => () => { try { child.kill(sig); } catch (e) { /* gone */ } };
    process.on('SIGTERM', forward('SIGTERM'));
    process.on('SIGINT', forward('SIGINT'));
    child.on('exit', (code, signal) => process.exit(code === null ? 1 : code));
  }
}

if (!cli.done) main();

// ---------------------------------------------------------------------------------------------

function main() {
  cli.guard({ timeoutMs: 30000 });
  if (args.insecure) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

  const sdk = sdkPackage(args.sdk);
  const trace = installTracing(sdk);
  const SDK = require(sdk.main);
  trace.setProtocols(SDK.Protocols || SDK.Protocals);

  runScenario(args._[0], SDK, sdk.version, trace).then(
    () => cli.finish(true),
    (e) => cli.finish(false, e),
  );
}

// ---------------------------------------------------------------------------------------------
// tracing: every WebSocket of the SDK (with its subprotocol negotiation) and Node's http/https requests

function installTracing(sdk) {
  const started = Date.now();
  const connections = [];
  const frames = [];
  const httpRequests = [];
  let Protocols = null;

  const emitTrace = (obj) => {
    if (args.trace) traceLine(obj);
  };

  const record = (conn, dir, data) => {
    const isText = typeof data === 'string';
    const size = isText ? data.length : (data.byteLength !== undefined ? data.byteLength : data.length);
    const decoded = decodeFrame(Protocols, data);
    const f = { t: Date.now() - started, conn: conn.id, dir, type: isText ? 'text' : 'binary', size, decoded };
    frames.push(f);
    emitTrace(Object.assign({ kind: 'frame' }, f));
  };

  const connect = (ws, address, protocols) => {
    const conn = {
      id: connections.length + 1,
      url: String(address),
      offered: protocols === undefined ? null : protocols,
      protocolHeaderSent: null,
      negotiated: null,
      responseProtocolHeader: null,
      open: false,
      close: null,
      droppedByHarness: null,
      errors: [],
      ws,
    };
    try {
      if (ws._req && ws._req.getHeader) {
        const h = ws._req.getHeader('Sec-WebSocket-Protocol');
        conn.protocolHeaderSent = h === undefined ? null : h;
      }
    } catch (e) { /* ignore */ }
    connections.push(conn);
    emitTrace({ kind: 'ws-connect', conn: conn.id, url: conn.url, offered: conn.offered, protocolHeaderSent: conn.protocolHeaderSent });
    ws.on('upgrade', (res) => {
      const h = res.headers['sec-websocket-protocol'];
      conn.responseProtocolHeader = h === undefined ? null : h;
    });
    ws.on('open', () => {
      conn.open = true;
      conn.negotiated = ws.protocol;
      emitTrace({ kind: 'ws-open', conn: conn.id, protocol: ws.protocol });
    });
    ws.on('close', (code, reason) => {
      conn.close = { code, reason: reason === undefined ? '' : String(reason) };
      emitTrace({ kind: 'ws-close', conn: conn.id, code, reason: conn.close.reason });
    });
    ws.on('error', (e) => {
      conn.errors.push(e.message); // e.g. "Server sent no subprotocol" (the SDK only says "Failed to connect")
      emitTrace({ kind: 'ws-error', conn: conn.id, message: e.message });
    });
    return conn;
  };

  traceWebSockets(sdk, { connect, frame: record });

  traceHttpRequests({
    request(entry) {
      entry.t = Date.now() - started;
      httpRequests.push(entry);
      emitTrace(Object.assign({ kind: 'http' }, entry));
    },
    response(entry) { emitTrace({ kind: 'http-response', url: entry.url, status: entry.status }); },
    error(entry) { emitTrace({ kind: 'http-error', url: entry.url, message: entry.error }); },
  });

  return {
    connections,
    frames,
    httpRequests,
    setProtocols(p) { Protocols = p; },
    current() {
      for (let i = connections.length - 1; i >= 0; i--) {
        const c = connections[i];
        if (c.open && !c.close) return c;
      }
      return null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// scenarios

function waitEvent(emitter, okEvent, failEvents, ms, what) {
  return new Promise((resolve, reject) => {
    const cleanups = [];
    const t = setTimeout(() => {
      cleanups.forEach((f) => f());
      reject(namedError('TIMEOUT', `timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const on = (ev, fn) => { emitter.on(ev, fn); cleanups.push(() => emitter.off ? emitter.off(ev, fn) : emitter.removeListener(ev, fn)); };
    on(okEvent, (...p) => { clearTimeout(t); cleanups.forEach((f) => f()); resolve(p); });
    (failEvents || []).forEach((ev) => on(ev, (e) => {
      clearTimeout(t);
      cleanups.forEach((f) => f());
      reject(e instanceof Error ? e : Object.assign(new Error(`${ev}: ${JSON.stringify(e)}`), { name: ev.toUpperCase() }));
    }));
  });
}

function randomId(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

// name of the CommandType of a decoded protobufjs 5 reply (its enums are numbers)
function cmdName(SDK, command) {
  if (!command || command.cmd === undefined || command.cmd === null) return null;
  const types = SDK.Protocols.CommandType || {};
  const hit = Object.keys(types).find((k) => types[k] === command.cmd);
  return hit || String(command.cmd);
}

function buildRealtimeOptions(sdk) {
  const o = {
    appId: args['app-id'],
    appKey: args['app-key'],
    noBinary: !!args['no-binary'],
    ssl: !args['no-ssl'],
  };
  const rtm = args.rtm ? args.rtm.split(',').map((s) => s.trim()).filter(Boolean) : null;
  if (rtm) o.RTMServers = rtm.length === 1 ? rtm[0] : rtm;
  // `server` = router base (when no RTMServers) and REST base (session-token REST calls, e.g.
  // GET /1.1/rtm/notifications after every re-login). Without --server we derive it from the
  // first --rtm URL so the SDK never falls back to LeanCloud's public app router.
  const base = restBase(args.server, rtm && rtm[0]);
  if (sdk === '4') {
    // 4.3.1 takes a bare host and always prepends https:// ("https://" + server + "/v1/route").
    const m = /^([a-z]+):\/\/(.*)$/i.exec(base);
    if (m && m[1].toLowerCase() !== 'https') {
      cli.log(`warning: leancloud-realtime 4.3.1 always uses https:// for the router and REST; ${base} will be requested as https://${m[2]}`);
    }
    o.server = m ? m[2] : base;
  } else {
    o.server = base;
  }
  return o;
}

function sessionFrames(trace) {
  return trace.frames.filter((f) => f.decoded && f.decoded.cmd === 'session');
}

function opensFor(trace, peerIdOrNull) {
  return trace.frames
    .filter((f) => f.dir === 'out' && f.decoded && f.decoded.cmd === 'session' && f.decoded.op === 'open')
    .filter((f) => peerIdOrNull == null || f.decoded.peerId === peerIdOrNull);
}

function openedStFor(trace, peerId) {
  const f = trace.frames.filter((x) => x.dir === 'in' && x.decoded && x.decoded.cmd === 'session'
    && x.decoded.op === 'opened' && x.decoded.peerId === peerId);
  return f.map((x) => (x.decoded.sessionMessage || {}).st || null);
}

function summarizeOpen(f) {
  const sm = f.decoded.sessionMessage || {};
  return {
    conn: f.conn,
    i: f.decoded.i === undefined ? null : f.decoded.i,
    peerId: f.decoded.peerId === undefined ? null : f.decoded.peerId,
    appId: f.decoded.appId === undefined ? null : f.decoded.appId,
    r: sm.r === undefined ? null : sm.r,
    st: sm.st === undefined ? null : sm.st,
    ua: sm.ua === undefined ? null : sm.ua,
    configBitmap: sm.configBitmap === undefined ? null : sm.configBitmap,
    deviceId: sm.deviceId === undefined ? null : sm.deviceId,
    tag: sm.tag === undefined ? null : sm.tag,
    frameType: f.type,
  };
}

function commonFacts(trace, sdkVersion, rtOptions) {
  facts.sdkVersion = sdkVersion;
  facts.options = Object.assign({}, rtOptions, { appKey: undefined });
  facts.mode = rtOptions.RTMServers ? 'rtm' : 'router';
  const first = trace.connections[0];
  facts.subprotocolOffered = first ? first.offered : null;
  facts.subprotocolHeaderSent = first ? first.protocolHeaderSent : null;
  facts.subprotocol = first ? first.negotiated : null;
  facts.wsUrls = trace.connections.map((c) => c.url);
  facts.connections = trace.connections.map((c) => ({
    id: c.id,
    url: c.url,
    offered: c.offered,
    protocolHeaderSent: c.protocolHeaderSent,
    responseProtocolHeader: c.responseProtocolHeader,
    negotiated: c.negotiated,
    close: c.close,
    droppedByHarness: c.droppedByHarness,
    errors: c.errors,
  }));
  facts.httpRequests = trace.httpRequests.map((r) => ({ method: r.method, url: r.url, status: r.status, error: r.error }));
  facts.routerRequests = trace.httpRequests.filter((r) => /\/v1\/route(\?|$)/.test(r.url)).map((r) => r.url);
  facts.routerCalled = facts.routerRequests.length > 0;
  facts.frames = trace.frames.map((f) => {
    const d = f.decoded || {};
    const o = { conn: f.conn, dir: f.dir, type: f.type, cmd: d.cmd === undefined ? null : d.cmd };
    if (d.op !== undefined) o.op = d.op;
    if (d.i !== undefined) o.i = d.i;
    if (d.peerId !== undefined) o.peerId = d.peerId;
    if (d.sessionMessage && d.sessionMessage.r !== undefined) o.r = d.sessionMessage.r;
    if (d.sessionMessage && d.sessionMessage.st !== undefined) o.st = d.sessionMessage.st;
    if (d.errorMessage) o.error = { code: d.errorMessage.code, reason: d.errorMessage.reason };
    if (d.decodeError) o.decodeError = d.decodeError;
    return o;
  });
}

async function dropConnection(realtime, trace, how) {
  const conn = trace.current();
  if (!conn) throw new Error('no open WebSocket to drop');
  conn.droppedByHarness = how;
  if (how === 'terminate') {
    conn.ws.terminate(); // abrupt TCP close, no close frame (server sees 1006)
  } else if (how === 'close') {
    conn.ws.close(1000, 'harness'); // client-initiated close handshake; SDK treats it as a lost connection
  } else if (how === 'pause') {
    realtime.pause(); // public API: SDK closes the socket and goes offline
    await sleep(50);
    realtime.resume(); // public API: offline -> disconnected -> scheduled retry
  }
}

async function reconnectWithToken(realtime, client, trace, SDK, label) {
  const id = client.id;
  const sts = openedStFor(trace, id);
  const stBefore = sts.length ? sts[sts.length - 1] : null;
  const connBefore = trace.current();
  const how = args.drop || 'terminate';
  const reconnected = waitEvent(client, 'reconnect', ['reconnecterror'], 20000, `${label} RECONNECT`);
  const disconnected = waitEvent(client, 'disconnect', [], 5000, `${label} DISCONNECT`);
  const frameMark = trace.frames.length;
  await dropConnection(realtime, trace, how);
  await disconnected;
  await reconnected;
  const after = trace.frames.slice(frameMark);
  const reopenFrames = after.filter((f) => f.dir === 'out' && f.decoded && f.decoded.cmd === 'session'
    && f.decoded.op === 'open' && (f.decoded.peerId === id || f.decoded.peerId === undefined));
  const reopens = reopenFrames.map(summarizeOpen);
  const reopen = reopens.length ? reopens[0] : null; // the SDK's automatic re-login
  const errorsAfter = after.filter((f) => f.dir === 'in' && f.decoded && f.decoded.cmd === 'error')
    .map((f) => ({ i: f.decoded.i === undefined ? null : f.decoded.i, code: (f.decoded.errorMessage || {}).code, reason: (f.decoded.errorMessage || {}).reason }));
  const connAfter = trace.current();
  const stsAfter = openedStFor(trace, id);
  // usable again: a correlated round trip on the new socket
  const echoReply = await client._connection.send(new SDK.Protocols.GenericCommand({ cmd: 'echo' }));
  return {
    id,
    drop: how,
    stBefore,
    reopen,
    reopenCarriedSt: !!(reopen && reopen.st),
    reopenStMatches: !!(reopen && stBefore && reopen.st === stBefore),
    reopenR: reopen ? reopen.r : null,
    reopens, // more than one if the server rejected the token (4112): the SDK then re-opens without st
    errorsAfterDrop: errorsAfter,
    newConnection: !!(connAfter && connBefore && connAfter.id !== connBefore.id),
    droppedConnectionClose: connBefore ? connBefore.close : null,
    reconnectUrl: connAfter ? connAfter.url : null,
    stAfter: stsAfter.length ? stsAfter[stsAfter.length - 1] : null,
    echoAfterReconnect: cmdName(SDK, echoReply),
    usableAfterReconnect: cmdName(SDK, echoReply) === 'echo',
  };
}

async function runScenario(name, SDK, sdkVersion, trace) {
  if (!SDK.Protocols && SDK.Protocals) SDK.Protocols = SDK.Protocals;
  const { Realtime } = SDK;
  const rtOptions = buildRealtimeOptions(args.sdk);
  facts.scenario = name;
  facts.sdk = Number(args.sdk);
  const realtime = new Realtime(rtOptions);
  const realtimeEvents = [];
  ['disconnect', 'schedule', 'retry', 'reconnect', 'offline', 'online', 'error'].forEach((ev) => {
    realtime.on(ev, (...p) => {
      realtimeEvents.push(ev);
      cli.log(`realtime ${ev} ${p.length ? JSON.stringify(p.map((x) => (x instanceof Error ? x.message : x))) : ''}`);
    });
  });
  const clientEvents = [];
  const watch = (client) => {
    ['close', 'conflict', 'disconnect', 'reconnect', 'reconnecterror'].forEach((ev) => {
      client.on(ev, (p) => {
        clientEvents.push({ client: client.id, event: ev, payload: p instanceof Error ? { message: p.message, code: p.code } : p });
      });
    });
    return client;
  };
  const ids = (args.ids ? args.ids.split(',') : []).map((s) => s.trim()).filter(Boolean);
  const idAt = (i, prefix) => ids[i] || randomId(prefix);

  const settle = async () => {
    // give the socket close (initiated by the SDK after its last client closed) a moment to be seen
    for (let k = 0; k < 40 && trace.connections.some((c) => c.open && !c.close); k++) await sleep(50);
  };

  try {
    if (name === 'login') {
      const id = idAt(0, `js${args.sdk}-a`);
      const c = watch(await realtime.createIMClient(id));
      facts.clientIds = [c.id];
      const echo = await c._connection.send(new SDK.Protocols.GenericCommand({ cmd: 'echo' }));
      facts.echo = cmdName(SDK, echo);
      await c.close();
      facts.closed = [c.id];
      await settle();
    } else if (name === 'login-two') {
      const a = watch(await realtime.createIMClient(idAt(0, `js${args.sdk}-a`)));
      const b = watch(await realtime.createIMClient(idAt(1, `js${args.sdk}-b`)));
      facts.clientIds = [a.id, b.id];
      facts.sameConnection = trace.connections.length === 1;
      await a.close();
      await b.close();
      facts.closed = [a.id, b.id];
      await settle();
    } else if (name === 'reconnect-with-token') {
      const a = watch(await realtime.createIMClient(idAt(0, `js${args.sdk}-a`)));
      facts.clientIds = [a.id];
      facts.reconnect = await reconnectWithToken(realtime, a, trace, SDK, a.id);
      await a.close();
      facts.closed = [a.id];
      await settle();
    } else if (name === 'close-then-other-reconnects') {
      const a = watch(await realtime.createIMClient(idAt(0, `js${args.sdk}-a`)));
      const aConn = trace.current();
      await a.close();
      await settle();
      const b = watch(await realtime.createIMClient(idAt(1, `js${args.sdk}-b`)));
      const bConn = trace.current();
      facts.clientIds = [a.id, b.id];
      facts.a = { id: a.id, conn: aConn && aConn.id, closed: true, connClose: aConn ? aConn.close : null };
      facts.b = { id: b.id, conn: bConn && bConn.id };
      facts.reconnect = await reconnectWithToken(realtime, b, trace, SDK, b.id);
      await b.close();
      facts.closed = [a.id, b.id];
      await settle();
    }
  } finally {
    commonFacts(trace, sdkVersion, rtOptions);
    facts.sessionOpens = opensFor(trace, null).map(summarizeOpen);
    facts.sessionFrames = sessionFrames(trace).length;
    facts.realtimeEvents = realtimeEvents;
    facts.clientEvents = clientEvents;
  }
}
