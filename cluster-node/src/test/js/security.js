#!/usr/bin/env node
/*
 * Parley JS SDK signature scenarios (docs/protocol.md §14): the unmodified official SDKs (leancloud-realtime 4.3.1
 * as "lc4", 5.0.0-rc.8 as "lc5") sign with their own `signatureFactory` / `conversationSignatureFactory`, whose
 * signatures this harness computes as an app server would (HMAC-SHA1 of the master key, hex).
 *
 *   node security.js <scenario> --sdk 4|5 --app-id ID --app-key KEY --rtm ws://127.0.0.1:A/[,ws://127.0.0.1:B/]
 *        [--master-key K] [--validity-ms 21600000] [--run SUFFIX] [--timeout-ms N] [--trace] [--debug]
 *
 * Scenarios:
 *   signatures     signed login (node A and B), start, invite and kick are accepted; login and start that are
 *                  unsigned, wrongly signed, expired (older than the validity) or replayed (the same signature
 *                  again, on node B) are refused; invite and kick with a wrong signature are refused.
 *                  Facts: accepted, refused.{login,start,invite,kick}.<mode> = {code, ms}, calls.
 *   token-relogin  a signed login, then the socket is cut: the SDK re-opens with its session token and no
 *                  signature (facts.reopen, calls.login stays 1), and a signed start works afterwards.
 *   unknown-app    a login with --app-id the server does not know: facts.refused = {code, ms}.
 *
 * stdout: one JSON line, {"ok":true,...facts} or {"ok":false,"error":{...},"facts":{...}} (lib/harness.js).
 */
'use strict';

const crypto = require('crypto');
const { Cli, ClientHarness, usageError, namedError, sleep } = require('./lib/harness');

const SCENARIOS = ['signatures', 'token-relogin', 'unknown-app'];

const cli = new Cli({
  script: 'security.js',
  booleans: ['no-binary', 'trace', 'debug'],
  scenarios: SCENARIOS,
  check(args) {
    if (!args.rtm) throw usageError('--rtm is required');
    if (args._[0] !== 'unknown-app' && !args['master-key']) throw usageError('--master-key is required');
  },
});
const { args, facts } = cli;

// ---------------------------------------------------------------------------------------------
// the app server: signs what the SDKs ask for, as LeanCloud's signing demo does (parts joined with ':')

const WRONG_KEY = 'not-the-master-key';

class AppServer {
  constructor(appId, masterKey, validityMs) {
    this.appId = appId;
    this.masterKey = masterKey;
    this.validityMs = validityMs;
    this.calls = { login: 0, create: 0, invite: 0, kick: 0 };
  }

  /**
   * A signature result for `parts(ts, nonce)` in `mode`: good, wrong (another key), expired (older than the
   * validity) or { ts, nonce } (fixed, to replay).
   */
  sign(parts, mode) {
    let ts = Date.now();
    let nonce = crypto.randomBytes(10).toString('base64');
    let key = this.masterKey;
    if (mode === 'wrong') key = WRONG_KEY;
    if (mode === 'expired') ts -= this.validityMs + 60000;
    if (mode && typeof mode === 'object') ({ ts, nonce } = mode);
    const signature = crypto.createHmac('sha1', key).update(parts(ts, nonce).join(':'), 'utf8').digest('hex');
    return { signature, timestamp: ts, nonce };
  }

  /** signatureFactory(clientId): `appId:clientId::ts:nonce`. */
  loginFactory(mode) {
    return (clientId) => {
      this.calls.login++;
      return this.sign((ts, nonce) => [this.appId, clientId, '', ts, nonce], mode());
    };
  }

  /**
   * conversationSignatureFactory(conversationId, clientId, targetIds, action): for `create` (no conversation id)
   * `appId:clientId:sortedIds:ts:nonce`, else `appId:clientId:convId:sortedIds:ts:nonce:action`.
   */
  conversationFactory(mode) {
    return (conversationId, clientId, targetIds, action) => {
      this.calls[action] = (this.calls[action] || 0) + 1;
      const ids = targetIds.slice().sort().join(':');
      return this.sign((ts, nonce) => (conversationId
        ? [this.appId, clientId, conversationId, ids, ts, nonce, action]
        : [this.appId, clientId, ids, ts, nonce]), mode());
    };
  }
}

// ---------------------------------------------------------------------------------------------

class Harness extends ClientHarness {
  constructor() {
    super(cli, { quietMs: 300, pollMs: 50 });
    this.server = new AppServer(args['app-id'], args['master-key'], Number(args['validity-ms'] || 6 * 3600 * 1000));
    this.nodeA = this.rtm[0];
    this.nodeB = this.rtm[1] || this.rtm[0];
  }

  /**
   * Logs `name` in on `url` with its own Realtime; `login` and `conv` are the factories' modes (functions, read at
   * every call), null for no factory. Returns the entry ({ id, client, realtime }).
   */
  async login(name, url, { login = () => 'good', conv = () => 'good' } = {}) {
    const id = `${name}-${this.run}`;
    const { realtime } = this.newRealtime(url);
    const entry = { name, id, url, realtime, conns: new Set(), events: [], client: null };
    this.idToName.set(id, name);
    const options = {};
    if (login) options.signatureFactory = this.server.loginFactory(login);
    if (conv) options.conversationSignatureFactory = this.server.conversationFactory(conv);
    const before = this.connections.length;
    entry.client = await realtime.createIMClient(id, options);
    this.connections.slice(before).forEach((c) => entry.conns.add(c.id));
    this.clients.set(`${name}@${this.clients.size}`, entry);
    return entry;
  }

  /** What report() lists per client: the WebSocket subprotocols it used. */
  wireOf(name) {
    const entries = Array.from(this.clients.values()).filter((c) => c.name === name);
    return Array.from(new Set(entries.flatMap((c) => Array.from(c.conns))
      .map((id) => this.connections[id - 1].negotiated)));
  }

  report() {
    super.report();
    this.facts.calls = this.server.calls;
  }
}

/** Runs `action`, which must fail; returns the SDK's error code and the time it took to report it. */
async function refused(action) {
  const start = Date.now();
  try {
    await action();
  } catch (e) {
    return { code: e.code === undefined ? null : e.code, name: e.name, message: e.message, ms: Date.now() - start };
  }
  throw namedError('ACCEPTED', `a request that should have been refused was accepted after ${Date.now() - start} ms`);
}

const SCENARIO_FUNCTIONS = {
  async signatures(h) {
    const refusals = { login: {}, start: {}, invite: {}, kick: {} };
    facts.refused = refusals;

    h.begin('accepted');
    const tomMode = { conv: 'good' };
    const tom = await h.login('Tom', h.nodeA, { conv: () => tomMode.conv });
    const jerry = await h.login('Jerry', h.nodeB);
    const harry = await h.login('Harry', h.nodeB);
    const conversation = await tom.client.createConversation({ members: [jerry.id], name: 'signed', unique: false });
    await conversation.add([harry.id]);
    const afterInvite = conversation.members.slice();
    await conversation.remove([harry.id]);
    facts.accepted = {
      login: [tom.url, jerry.url, harry.url],
      start: conversation.id,
      invite: h.names(afterInvite).sort(),
      kick: h.names(conversation.members).sort(),
    };

    h.begin('refused-login');
    refusals.login.unsigned = await refused(() => h.login('Unsigned', h.nodeA, { login: null, conv: null }));
    refusals.login.wrong = await refused(() => h.login('Wrong', h.nodeA, { login: () => 'wrong' }));
    refusals.login.expired = await refused(() => h.login('Expired', h.nodeA, { login: () => 'expired' }));
    const fixedLogin = { ts: Date.now(), nonce: `login-replay-${h.run}` };
    await h.login('Replay', h.nodeA, { login: () => fixedLogin });
    refusals.login.replayed = await refused(() => h.login('Replay', h.nodeB, { login: () => fixedLogin }));

    h.begin('refused-start');
    const bob = await h.login('Bob', h.nodeA, { conv: null });
    refusals.start.unsigned = await refused(() => bob.client.createConversation({ members: [jerry.id], unique: false }));
    tomMode.conv = 'wrong';
    refusals.start.wrong = await refused(() => tom.client.createConversation({ members: [jerry.id], unique: false }));
    tomMode.conv = 'expired';
    refusals.start.expired = await refused(() => tom.client.createConversation({ members: [jerry.id], unique: false }));
    tomMode.conv = { ts: Date.now(), nonce: `start-replay-${h.run}` };
    await tom.client.createConversation({ members: [jerry.id], unique: false });
    const tomOnB = await h.login('Tom', h.nodeB, { conv: () => tomMode.conv });
    refusals.start.replayed = await refused(() => tomOnB.client.createConversation({ members: [jerry.id], unique: false }));

    h.begin('refused-invite-kick');
    tomMode.conv = 'wrong';
    refusals.invite.wrong = await refused(() => conversation.add([harry.id]));
    refusals.kick.wrong = await refused(() => conversation.remove([jerry.id]));
    tomMode.conv = 'good';
    await conversation.add([harry.id]);
    facts.membersAfterRefusals = h.names(conversation.members).sort();
  },

  async 'token-relogin'(h) {
    const tom = await h.login('Tom', h.nodeA);
    const conn = h.connections[Array.from(tom.conns)[0] - 1];
    const mark = h.frames.length;
    const reconnected = new Promise((resolve, reject) => {
      tom.client.once('reconnect', resolve);
      tom.client.once('reconnecterror', (e) => reject(namedError('RECONNECT_ERROR', e && e.message)));
      setTimeout(() => reject(namedError('TIMEOUT', 'no reconnect within 20 s')), 20000).unref();
    });
    conn.ws.terminate();
    await reconnected;
    const after = h.frames.slice(mark);
    const reopen = after.find((f) => f.dir === 'out' && f.d.cmd === 'session' && f.d.op === 'open');
    const answer = after.find((f) => f.dir === 'in' && (f.d.cmd === 'session' || f.d.cmd === 'error') && f.t >= reopen.t);
    const session = (reopen && reopen.d.sessionMessage) || {};
    facts.reopen = {
      r: !!session.r,
      st: !!session.st,
      signed: !!session.s,
      answer: answer ? (answer.d.cmd === 'error' ? `error ${answer.d.errorMessage.code}` : answer.d.op) : null,
    };
    const conversation = await tom.client.createConversation({ members: [`Jerry-${h.run}`], unique: false });
    facts.startAfterReopen = !!conversation.id;
  },

  async 'unknown-app'(h) {
    facts.refused = await refused(() => h.login('Nobody', h.nodeA, { login: null, conv: null }));
    await sleep(200);
    facts.closeCodes = h.connections.map((c) => c.close);
  },
};

function main() {
  cli.guard({ timeoutMs: 90000, recordRejections: true });
  new Harness().play(SCENARIO_FUNCTIONS[args._[0]]);
}

if (!cli.done) main();
