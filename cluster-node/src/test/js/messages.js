#!/usr/bin/env node
/*
 * Parley JS SDK messaging scenarios: drives the unmodified official LeanCloud realtime SDKs
 * (leancloud-realtime 4.3.1 as "lc4", 5.0.0-rc.8 as "lc5") through sending and receiving messages
 * (docs/protocol.md §6.12–§6.16, §7, §8.1–§8.4, §9, §10).
 *
 *   node messages.js <scenario> --sdk 4|5 --app-id ID --app-key KEY --rtm ws://127.0.0.1:P/[,ws://127.0.0.1:Q/]
 *        [--server http://127.0.0.1:P] [--no-binary] [--run SUFFIX] [--timeout-ms N] [--quiet-ms 1000]
 *        [--wait-ms 10000] [--trace] [--debug]
 *        offline-send:    [--push-offline]
 *        offline-receive: --client ID --cid CID --count N [--push-offline]
 *        receive:         --client ID --cid CID --count N
 *        send:            --client ID --cid CID [--text T ...] [--emoji T ...]
 *        silenced-send:   --client ID --cid CID [--wait-ms N]
 *                         [--silence-api URL --master-key K --silence-ttl S] (silences itself once logged in)
 *
 * Scenarios: text, typed, offline-send, offline-receive, history, receipt, read-receipts, temporary, chatroom, will,
 * patch, shared-order, receive, send, receive-patches (as receive, then one edit and one recall)
 * (see README.md).
 *        shared-order:    [--rounds 100] [--patch-rounds 10] [--conversations 2]
 *
 * Node placement: with two --rtm URLs the sender (Tom) is on the first node and every receiver on the second
 * (some second devices deliberately on the first; see each scenario). Every client has its own Realtime (its
 * own WebSocket); leancloud-realtime 5 refuses a second `new Realtime` for the same appId in one module instance,
 * so for v5 every further Realtime comes from a freshly loaded copy of the SDK module (its require.cache entry
 * is dropped) - the same as another process, SDK code untouched. Messages are built from the copy of the SDK
 * that owns the sending client (5.x checks `instanceof Message` against its own module).
 *
 * Client ids are `<Name>-<run>` (--run, default random); facts name clients by their short names (a second
 * device of Tom is "Tom@2" in the per-client maps but its messages say `from: "Tom"`).
 *
 * stdout: exactly one line, a JSON object: {"ok":true,...facts} (exit 0) or
 *         {"ok":false,"error":{"name","code","message"},"facts":{...}} (exit 1).
 * stderr: diagnostics; with --trace one "[trace] {...}" line per WebSocket frame; with --debug the SDK's
 *         own debug output (DEBUG=LC:*).
 */
'use strict';

const { Cli, ClientHarness, usageError, namedError, waitUntil, errorJson, sleep } = require('./lib/harness');

// ---------------------------------------------------------------------------------------------
// arguments and result

const SCENARIOS = ['text', 'typed', 'offline-send', 'offline-receive', 'history', 'receipt', 'read-receipts',
  'temporary', 'chatroom', 'will', 'patch', 'shared-order', 'receive', 'send', 'hooks', 'silenced-send',
  'receive-patches'];

const cli = new Cli({
  script: 'messages.js',
  booleans: ['no-binary', 'trace', 'debug', 'push-offline'],
  repeatable: ['text', 'emoji'],
  scenarios: SCENARIOS,
  check(args) {
    const scenario = args._[0];
    if (!args.rtm) throw usageError('--rtm is required');
    if (['offline-receive', 'receive', 'send', 'silenced-send', 'receive-patches'].includes(scenario)
      && (!args.client || !args.cid)) {
      throw usageError(`${scenario} needs --client and --cid`);
    }
    if (['offline-receive', 'receive', 'receive-patches'].includes(scenario) && !args.count) throw usageError(`${scenario} needs --count`);
    if (scenario === 'send' && !args.text && !args.emoji) throw usageError('send needs --text or --emoji');
    if (args['push-offline'] && args.sdk !== '4') {
      throw usageError('--push-offline needs --sdk 4 (5.x has no pushOfflineMessages option)');
    }
  },
});
const { args, facts } = cli;

function main() {
  let h = null;
  cli.guard({ timeoutMs: 60000, recordRejections: true, onTimeout: () => { if (h) h.report(); } });
  h = new Harness();
  h.play(SCENARIO_FUNCTIONS[args._[0]]);
}

// ---------------------------------------------------------------------------------------------
// harness: clients, SDK events, message views (SDK loading and frame tracing: lib/harness.js)

/** Date | number | Long | undefined -> ms or null */
function ms(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v.toNumber === 'function') return v.toNumber();
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

// the message sub-command of each cmd, for wire evidence
const BODY = {
  direct: 'directMessage', ack: 'ackMessage', read: 'readMessage', rcp: 'rcpMessage', unread: 'unreadMessage',
  patch: 'patchMessage', logs: 'logsMessage', error: 'errorMessage', session: 'sessionMessage',
};

class Harness extends ClientHarness {
  constructor() {
    super(cli, { quietMs: 1000, pollMs: 25 });
    this.waitMs = Number(args['wait-ms'] || 10000);
    this.watched = new WeakSet();
  }

  /** A session/open for `peerId` on `conn`: the connection belongs to the client logging in or reconnecting. */
  onSessionOpen(conn, peerId) {
    super.onSessionOpen(conn, peerId);
    const candidates = Array.from(this.clients.values()).filter((c) => c.id === peerId && !c.closed);
    if (candidates.some((c) => c.conns.has(conn.id))) return;
    const entry = (this.loggingIn && this.loggingIn.id === peerId && this.loggingIn)
      || candidates.find((c) => Array.from(c.conns).every((id) => this.connections[id - 1].close !== null))
      || candidates[0];
    if (entry) entry.conns.add(conn.id);
  }

  /** Every message-related frame of a client's connections (requests, replies, pushes), for evidence. */
  wireOf(name) {
    const c = this.clients.get(name);
    return this.frames
      .filter((f) => ['direct', 'ack', 'read', 'rcp', 'unread', 'patch', 'logs', 'error'].includes(f.d.cmd)
        || (f.d.cmd === 'conv' && f.d.op === 'max_read') || (f.d.cmd === 'session' && f.d.op !== 'open' && f.d.op !== 'opened'))
      .filter((f) => this.owner(f.conn, f.d) === c || (f.dir === 'in' && c.conns.has(f.conn) && f.d.i !== undefined))
      .map((f) => this.summarize(f));
  }

  summarize(f) {
    const d = f.d;
    const o = { step: f.step, conn: f.conn, dir: f.dir, cmd: d.cmd === undefined ? null : d.cmd };
    if (d.op !== undefined) o.op = d.op;
    if (d.i !== undefined) o.i = d.i;
    if (d.peerId !== undefined) o.peerId = this.name(d.peerId);
    const key = BODY[d.cmd] || (d.cmd === 'conv' ? 'convMessage' : null);
    if (key && d[key] !== undefined) {
      const body = JSON.parse(JSON.stringify(d[key]));
      if (body.fromPeerId !== undefined) body.fromPeerId = this.name(body.fromPeerId);
      if (body.from !== undefined) body.from = this.name(body.from);
      if (Array.isArray(body.patches)) body.patches.forEach((p) => { if (p.from !== undefined) p.from = this.name(p.from); });
      if (Array.isArray(body.logs)) body.logs.forEach((l) => { if (l.from !== undefined) l.from = this.name(l.from); });
      if (Array.isArray(body.convs)) body.convs.forEach((u) => { if (u.from !== undefined) u.from = this.name(u.from); });
      o.body = body;
    }
    if (d.decodeError) o.decodeError = d.decodeError;
    return o;
  }

  /** Frames of a client's WebSocket(s) matching `pred` (on the decoded command). */
  framesOf(name, pred) {
    const c = this.clients.get(name);
    return this.frames.filter((f) => c.conns.has(f.conn) && pred(f.d, f));
  }

  /**
   * Logs `name` in on node rtm[node % n] with its own Realtime. options: exactId (id as is), id (a second
   * device of an already known client), pushOfflineMessages (4.x only: protocol version 1).
   */
  async login(name, node, options = {}) {
    const id = options.exactId || options.id || `${name}-${this.run}`;
    const url = this.rtm[node % this.rtm.length];
    const { SDK, realtime } = this.newRealtime(url, options.pushOfflineMessages ? { pushOfflineMessages: true } : null);
    const Emoji = defineEmoji(SDK);
    realtime.register(Emoji);
    const entry = { name, id, url, node: node % this.rtm.length, realtime, SDK, Emoji, client: null, conns: new Set(), events: [], closed: false, pushOffline: !!options.pushOfflineMessages };
    this.clients.set(name, entry);
    if (!this.idToName.has(id)) this.idToName.set(id, name.replace(/@.*$/, ''));
    await this.openClient(entry);
    this.watchClient(entry);
    return entry;
  }

  /** Logs `name` in on the Realtime (the WebSocket) of `mate`, which is already logged in: two clients, one socket. */
  async loginShared(name, mate) {
    const id = `${name}-${this.run}`;
    const entry = { name, id, url: mate.url, node: mate.node, realtime: mate.realtime, SDK: mate.SDK, Emoji: mate.Emoji, client: null, conns: new Set(mate.conns), events: [], closed: false, pushOffline: false };
    this.clients.set(name, entry);
    this.idToName.set(id, name);
    await this.openClient(entry);
    this.watchClient(entry);
    return entry;
  }

  watchClient(entry) {
    const c = entry.client;
    const rec = (e) => this.recordEvent(entry, e);
    c.on('message', (message, conversation) => {
      this.watchConversation(entry, conversation);
      rec({ event: 'MESSAGE', cid: conversation && conversation.id, message: this.messageView(message, entry) });
    });
    c.on('unreadmessagescountupdate', (conversations) => rec({
      event: 'UNREAD_MESSAGES_COUNT_UPDATE',
      conversations: (conversations || []).map((conv) => ({
        cid: conv.id,
        unread: conv.unreadMessagesCount,
        mentioned: !!conv.unreadMessagesMentioned,
        lastMessage: this.messageView(conv.lastMessage, entry),
        lastMessageAt: ms(conv.lastMessageAt),
      })),
    }));
    const patchEvent = (event) => (message, conversation, reason) => rec({
      event, cid: conversation && conversation.id, message: this.messageView(message, entry), reason: reason || null,
    });
    c.on('messagerecall', patchEvent('MESSAGE_RECALL'));
    c.on('messageupdate', patchEvent('MESSAGE_UPDATE'));
    c.on('invited', (payload, conversation) => {
      this.watchConversation(entry, conversation);
      rec({ event: 'INVITED', cid: conversation && conversation.id, invitedBy: this.name(payload.invitedBy) });
    });
    c.on('membersjoined', (payload, conversation) => rec({ event: 'MEMBERS_JOINED', cid: conversation && conversation.id, members: this.names(payload.members) }));
    c.on('membersleft', (payload, conversation) => rec({ event: 'MEMBERS_LEFT', cid: conversation && conversation.id, members: this.names(payload.members) }));
    c.on('close', (payload) => rec({ event: 'CLOSE', code: payload && payload.code, reason: payload && payload.reason }));
    c.on('conflict', (payload) => rec({ event: 'CONFLICT', reason: payload && payload.reason }));
    c.on('unhandledmessage', (payload) => rec({ event: 'UNHANDLED_MESSAGE', command: { cmd: payload && payload.cmd, op: payload && payload.op } }));
    c.on('disconnect', () => rec({ event: 'DISCONNECT' }));
    c.on('reconnect', () => rec({ event: 'RECONNECT' }));
    c.on('reconnecterror', (e) => rec({ event: 'RECONNECT_ERROR', error: errorJson(e) }));
  }

  /** Conversation-level events: receipts (LAST_DELIVERED_AT_UPDATE, LAST_READ_AT_UPDATE). */
  watchConversation(entry, conversation) {
    if (!conversation || this.watched.has(conversation)) return conversation;
    this.watched.add(conversation);
    conversation.on('lastdeliveredatupdate', () => this.recordEvent(entry, {
      event: 'LAST_DELIVERED_AT_UPDATE', cid: conversation.id, lastDeliveredAt: ms(conversation.lastDeliveredAt),
    }));
    conversation.on('lastreadatupdate', () => this.recordEvent(entry, {
      event: 'LAST_READ_AT_UPDATE', cid: conversation.id, lastReadAt: ms(conversation.lastReadAt),
    }));
    return conversation;
  }

  recordEvent(entry, e) {
    this.lastActivity = Date.now();
    const x = Object.assign({ step: this.step }, e);
    entry.events.push(x);
    cli.log(`${entry.name} ${JSON.stringify(x)}`);
  }

  statusName(entry, status) {
    const table = entry.SDK.MessageStatus || {};
    const hit = Object.keys(table).find((k) => table[k] === status);
    return hit || (status === undefined ? null : String(status));
  }

  /** What an application reads from a message object. */
  messageView(m, entry) {
    if (!m) return null;
    const v = {
      id: m.id === undefined ? null : m.id,
      cid: m.cid === undefined ? null : m.cid,
      from: m.from === undefined ? null : this.name(m.from),
      timestamp: ms(m.timestamp),
      class: m.constructor && m.constructor.name,
    };
    if (m._updatedAt) v.updatedAt = ms(m._updatedAt);
    if (m.deliveredAt) v.deliveredAt = ms(m.deliveredAt);
    if (entry) v.status = this.statusName(entry, m.status);
    if (typeof m.getText === 'function') {
      v.type = m.type === undefined ? null : m.type;
      v.text = m.getText() === undefined ? null : m.getText();
      v.attributes = m.getAttributes() === undefined ? null : m.getAttributes();
    } else {
      v.content = m.content === undefined ? null : m.content;
    }
    if (m.ecode !== undefined) v.ecode = m.ecode;
    if (m.mentionList && m.mentionList.length) v.mentionList = this.names(m.mentionList);
    if (m.mentionedAll) v.mentionedAll = true;
    return v;
  }

  /** Waits (up to waitMs) until `name` has recorded events satisfying `pred`, at least `count` of them. */
  async waitFor(name, pred, what, count = 1) {
    const entry = this.clients.get(name);
    await waitUntil(() => entry.events.filter(pred).length >= count, this.waitMs, `${what} (${name})`, 20);
  }

  /** Waits (up to waitMs) until a frame on `name`'s WebSocket(s) satisfies pred; returns it or null. */
  async waitForFrame(name, pred, what, soft) {
    const last = () => {
      const hit = this.framesOf(name, pred);
      return hit.length ? hit[hit.length - 1] : null;
    };
    return waitUntil(last, this.waitMs, `${what} (${name})`, 20).catch((e) => {
      if (soft && e.name === 'TIMEOUT') return null;
      throw e;
    });
  }

  /** MESSAGE events' message views of one client in one step. */
  messagesOf(name, step) {
    return this.clients.get(name).events.filter((e) => e.event === 'MESSAGE' && e.step === step).map((e) => e.message);
  }

  /** The direct pushes (not replies) one client's WebSocket(s) carried in one step. */
  directPushes(name, step) {
    return this.framesOf(name, (d, f) => f.dir === 'in' && d.cmd === 'direct' && f.step === step).map((f) => this.summarize(f).body);
  }

  // message constructors from the SDK copy of the sending client
  text(entry, text, attributes) {
    const m = new entry.SDK.TextMessage(text);
    if (attributes) m.setAttributes(attributes);
    return m;
  }

  emoji(entry, ecode, text, attributes) {
    const m = new entry.Emoji();
    m.ecode = ecode;
    if (text !== undefined) m.setText(text);
    if (attributes) m.setAttributes(attributes);
    return m;
  }

  async send(entry, conversation, message, options) {
    const sent = await conversation.send(message, options);
    return this.messageView(sent, entry);
  }

  async history(entry, conversation, options) {
    const list = await conversation.queryMessages(options);
    return list.map((m) => this.messageView(m, entry));
  }

  async close(name) {
    const c = this.clients.get(name);
    c.closed = true;
    await c.client.close();
  }

  /** Destroys the client's open WebSocket (no close frame, no session/close: the server sees it vanish). */
  kill(name) {
    const c = this.clients.get(name);
    const open = Array.from(c.conns).map((id) => this.connections[id - 1]).filter((conn) => conn.negotiated && conn.close === null);
    if (!open.length) throw new Error(`${name} has no open WebSocket`);
    open.forEach((conn) => { conn.killed = true; conn.ws.terminate(); });
    return open.map((conn) => conn.id);
  }

  report() {
    super.report();
    facts.allEvents = {};
    for (const c of this.clients.values()) facts.allEvents[c.name] = c.events;
    facts.subprotocols = this.subprotocols();
    facts.connections = this.connections.map((c) => ({ id: c.id, url: c.url, negotiated: c.negotiated, close: c.close, killed: c.killed }));
  }
}

/** The seed's custom typed message: `[AVIMTypedMessageTypeInt(2)] Emoji` with a field (here `ecode`). */
function defineEmoji(SDK) {
  class Emoji extends SDK.TypedMessage {}
  SDK.messageType(2)(Emoji);
  SDK.messageField(['ecode'])(Emoji);
  return Emoji;
}

function texts(views) {
  return views.map((v) => (v ? (v.text !== undefined ? v.text : v.content) : null));
}

function ids(views) {
  return views.map((v) => (v ? v.id : null));
}

async function privateChat(h, sender, receiver, name) {
  const conversation = await sender.client.createConversation({ members: [receiver.id], name: name || 'private', unique: false });
  h.watchConversation(sender, conversation);
  await h.waitFor(receiver.name, (e) => e.event === 'INVITED' && e.cid === conversation.id, `${receiver.name} INVITED`);
  return conversation;
}

async function conversationOf(h, entry, cid) {
  const conversation = await entry.client.getConversation(cid);
  if (!conversation) throw namedError('NOT_FOUND', `conversation ${cid} not found for ${entry.name}`);
  return h.watchConversation(entry, conversation);
}

const UNICODE = '人民的名义挺好看的';

// ---------------------------------------------------------------------------------------------
// scenarios

const SCENARIO_FUNCTIONS = {
  // 1. Text: Tom (node 1) to Jerry (node 2) in a private chat; then to Jerry and Bob (node 2) in a 3-member
  // group, with a second device of Tom (node 2) that must get the message and Tom's sending session must not.
  async text(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 1);
    h.begin('create');
    const chat = await privateChat(h, tom, jerry, 'Tom & Jerry');
    const group = await tom.client.createConversation({ members: [jerry.id, bob.id], name: 'text group', unique: false });
    await h.waitFor('Bob', (e) => e.event === 'INVITED' && e.cid === group.id, 'Bob INVITED');
    await h.settle();
    facts.privateCid = chat.id;
    facts.groupCid = group.id;

    h.begin('private');
    facts.private = { sent: await h.send(tom, chat, h.text(tom, 'hello Jerry')) };
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'private', 'Jerry MESSAGE');
    await h.settle();
    facts.private.events = h.eventsOf('private');
    facts.private.pushes = { Tom: h.directPushes('Tom', 'private'), Jerry: h.directPushes('Jerry', 'private') };

    const tom2 = await h.login('Tom@2', 1, { id: tom.id }); // Tom's second device, on the receivers' node
    await h.settle();
    h.begin('group');
    facts.group = { sent: await h.send(tom, group, h.text(tom, 'hello group')) };
    for (const name of ['Jerry', 'Bob', 'Tom@2']) {
      await h.waitFor(name, (e) => e.event === 'MESSAGE' && e.step === 'group', `${name} MESSAGE`);
    }
    await h.settle();
    facts.group.events = h.eventsOf('group');
    facts.group.pushes = {};
    for (const name of ['Tom', 'Jerry', 'Bob', 'Tom@2']) facts.group.pushes[name] = h.directPushes(name, 'group');
    void tom2;
  },

  // 2. A custom typed message (type 2, field ecode, attributes) and a TextMessage with attributes, unicode in
  // text, field and attributes; live and through queryMessages on both sides.
  async typed(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    h.begin('create');
    const chat = await privateChat(h, tom, jerry, 'typed');
    facts.cid = chat.id;
    await h.settle();
    h.begin('send');
    const attributes = { review: UNICODE, stars: 5, tags: ['剧', 'drama'], nested: { emoji: '😀', ok: true } };
    facts.sent = [
      await h.send(tom, chat, h.emoji(tom, '#e001-😀', UNICODE, attributes)),
      await h.send(tom, chat, h.text(tom, UNICODE, { lang: 'zh-CN', note: '好看' })),
    ];
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'send', 'Jerry MESSAGE x2', 2);
    await h.settle();
    facts.received = h.messagesOf('Jerry', 'send');
    facts.tomEvents = h.eventsOf('send').Tom;
    facts.sentPayloads = h.framesOf('Tom', (d, f) => f.dir === 'out' && d.cmd === 'direct').map((f) => f.d.directMessage.msg);
    facts.receivedPayloads = h.framesOf('Jerry', (d, f) => f.dir === 'in' && d.cmd === 'direct').map((f) => f.d.directMessage.msg);
    h.begin('history');
    const jerryChat = await conversationOf(h, jerry, chat.id);
    facts.history = { Jerry: await h.history(jerry, jerryChat, { limit: 10 }), Tom: await h.history(tom, chat, { limit: 10 }) };
  },

  // 3a. Tom creates a private chat with Jerry, Jerry logs out, Tom sends three messages (read at the next login
  // by offline-receive, possibly after every node restarted).
  async 'offline-send'(h) {
    const pushOfflineMessages = !!args['push-offline'];
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1, { pushOfflineMessages });
    h.begin('create');
    const chat = await privateChat(h, tom, jerry, 'offline');
    facts.cid = chat.id;
    await h.settle(300);
    h.begin('logout');
    await h.close('Jerry');
    await h.settle(300);
    h.begin('send');
    facts.sent = [];
    for (let n = 1; n <= 3; n++) facts.sent.push(await h.send(tom, chat, h.text(tom, `offline ${n} 离线`)));
    facts.receiver = jerry.id;
    facts.pushOfflineMessages = pushOfflineMessages;
  },

  // 3b. --client logs in again (on the first --rtm node): with --push-offline (4.x: lc.protobuf2.1) the queued
  // messages arrive as messages (offline:true on the wire); by default one unread notification, then history.
  // Afterwards it logs in once more: nothing must come again (acked / read).
  async 'offline-receive'(h) {
    const pushOfflineMessages = !!args['push-offline'];
    const expected = Number(args.count);
    h.begin('login');
    const jerry = await h.login(args.client, 0, { exactId: args.client, pushOfflineMessages });
    const name = args.client;
    facts.receiver = name;
    if (pushOfflineMessages) {
      await h.waitFor(name, (e) => e.event === 'MESSAGE' && e.cid === args.cid, `${expected} offline messages`, expected);
      // the SDK acks them (throttled to once a second): wait for the ack of the last one
      const lastTs = Math.max(...h.messagesOf(name, 'login').map((m) => m.timestamp));
      facts.ackSent = h.summarize(await h.waitForFrame(name, (d, f) => f.dir === 'out' && d.cmd === 'ack'
        && d.ackMessage && d.ackMessage.cid === args.cid && d.ackMessage.tots >= lastTs, 'ack of the offline messages'));
    } else {
      await h.waitFor(name, (e) => e.event === 'UNREAD_MESSAGES_COUNT_UPDATE', 'UNREAD_MESSAGES_COUNT_UPDATE');
    }
    await h.settle();
    facts.login = {
      events: h.eventsOf('login')[name],
      messages: h.messagesOf(name, 'login'),
      pushes: h.directPushes(name, 'login'),
      unreadPushes: h.framesOf(name, (d, f) => f.dir === 'in' && d.cmd === 'unread').map((f) => h.summarize(f).body),
    };
    const conversation = await conversationOf(h, jerry, args.cid);
    facts.conversation = {
      unreadMessagesCount: conversation.unreadMessagesCount,
      lastMessage: h.messageView(conversation.lastMessage, jerry),
      lastMessageAt: ms(conversation.lastMessageAt),
    };
    h.begin('history');
    facts.history = await h.history(jerry, conversation, { limit: 10 });
    h.begin('read');
    await conversation.read();
    facts.readSent = h.summarize(await h.waitForFrame(name, (d, f) => f.dir === 'out' && d.cmd === 'read', 'read command'));
    await h.settle(300);
    await h.close(name);
    // the next login must not bring them again
    h.begin('relogin');
    const again = `${name}@again`;
    await h.login(again, 0, { exactId: args.client, pushOfflineMessages });
    await h.settle(Math.max(h.quietMs, 1500));
    facts.relogin = {
      events: h.eventsOf('relogin')[again],
      pushes: h.directPushes(again, 'relogin'),
      unreadPushes: h.framesOf(again, (d, f) => f.dir === 'in' && d.cmd === 'unread').map((f) => h.summarize(f).body),
    };
  },

  // 4. Tom sends five messages; Tom and Jerry page through history with limit 2 both ways.
  async history(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    h.begin('create');
    const chat = await privateChat(h, tom, jerry, 'history');
    facts.cid = chat.id;
    h.begin('send');
    facts.sent = [];
    for (let n = 1; n <= 5; n++) facts.sent.push(await h.send(tom, chat, h.text(tom, `h${n}`)));
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'send', 'Jerry MESSAGE x5', 5);
    h.begin('history');
    const NEW = (tom.SDK.MessageQueryDirection || {}).OLD_TO_NEW;
    facts.directionNew = NEW;
    facts.pages = {};
    for (const [name, entry, conversation] of [['Tom', tom, chat], ['Jerry', jerry, await conversationOf(h, jerry, chat.id)]]) {
      const dirNew = (entry.SDK.MessageQueryDirection || {}).OLD_TO_NEW;
      const p = {};
      // newest first, backwards from the oldest message of each page
      p.back = [];
      let page = await h.history(entry, conversation, { limit: 2 });
      p.back.push(page);
      while (page.length === 2 && p.back.length < 5) {
        page = await h.history(entry, conversation, { limit: 2, startTime: new Date(page[0].timestamp), startMessageId: page[0].id });
        p.back.push(page);
      }
      // oldest first, forwards from the newest message of each page
      p.forward = [];
      page = await h.history(entry, conversation, { limit: 2, direction: dirNew });
      p.forward.push(page);
      while (page.length === 2 && p.forward.length < 5) {
        const last = page[page.length - 1];
        page = await h.history(entry, conversation, { limit: 2, direction: dirNew, startTime: new Date(last.timestamp), startMessageId: last.id });
        p.forward.push(page);
      }
      const s = facts.sent;
      // between h5 and h1, open, then closed (start newer than end: newest-to-oldest)
      p.between = await h.history(entry, conversation, { startTime: new Date(s[4].timestamp), startMessageId: s[4].id, endTime: new Date(s[0].timestamp), endMessageId: s[0].id });
      p.betweenClosed = await h.history(entry, conversation, { startTime: new Date(s[4].timestamp), startMessageId: s[4].id, startClosed: true, endTime: new Date(s[0].timestamp), endMessageId: s[0].id, endClosed: true });
      // start older than end and no direction: the SDK picks OLD_TO_NEW itself
      p.upward = await h.history(entry, conversation, { startTime: new Date(s[1].timestamp), startMessageId: s[1].id, endTime: new Date(s[4].timestamp), endMessageId: s[4].id, limit: 2 });
      // the SDK's own iterator (limit 2)
      const iterator = conversation.createMessagesIterator({ limit: 2 });
      p.iterator = [];
      for (let k = 0; k < 5; k++) {
        const r = await iterator.next();
        p.iterator.push({ texts: texts(r.value.map((m) => h.messageView(m, entry))), done: r.done });
        if (r.done) break;
      }
      p.all = await h.history(entry, conversation, {});
      // limit 0: the SDKs send l: 0 as given; LeanCloud answers no messages (the SDK's `Message Query > with limit`)
      p.none = await h.history(entry, conversation, { limit: 0 });
      facts.pages[name] = p;
    }
    facts.logsRequests = h.framesOf('Jerry', (d, f) => f.dir === 'out' && d.cmd === 'logs').map((f) => f.d.logsMessage);

    // Six messages sent at once (timestamps may collide): paging one by one with startMessageId visits each once.
    h.begin('burst');
    const burst = await privateChat(h, tom, jerry, 'burst');
    const sent = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => h.send(tom, burst, h.text(tom, `b${n}`))));
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'burst', 'Jerry MESSAGE x6', 6);
    const jerryBurst = await conversationOf(h, jerry, burst.id);
    const b = { sent: sent.map((m) => ({ id: m.id, timestamp: m.timestamp, text: m.text })), back: [], forward: [] };
    let cursor = await h.history(jerry, jerryBurst, { limit: 1 });
    while (cursor.length && b.back.length < 10) {
      b.back.push(cursor[0].id);
      cursor = await h.history(jerry, jerryBurst, { limit: 1, startTime: new Date(cursor[0].timestamp), startMessageId: cursor[0].id });
    }
    const dirNew = (jerry.SDK.MessageQueryDirection || {}).OLD_TO_NEW;
    cursor = await h.history(jerry, jerryBurst, { limit: 1, direction: dirNew });
    while (cursor.length && b.forward.length < 10) {
      b.forward.push(cursor[0].id);
      cursor = await h.history(jerry, jerryBurst, { limit: 1, direction: dirNew, startTime: new Date(cursor[0].timestamp), startMessageId: cursor[0].id });
    }
    b.all = ids(await h.history(jerry, jerryBurst, { limit: 10 }));
    b.received = ids(h.messagesOf('Jerry', 'burst'));
    facts.burst = b;
  },

  // 5. Delivery and read receipts: Tom sends with receipt:true to Jerry (node 2), who also has a second device
  // (node 1); Jerry reads; Tom fetches the receipt timestamps (conv/max_read).
  async receipt(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    h.begin('create');
    const chat = await privateChat(h, tom, jerry, 'receipts');
    facts.cid = chat.id;
    await h.login('Jerry@2', 0, { id: jerry.id });
    await h.settle(300);

    h.begin('send');
    const message = await chat.send(h.text(tom, 'with receipt'), { receipt: true });
    facts.sent = h.messageView(message, tom);
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'send', 'Jerry MESSAGE');
    await h.waitFor('Tom', (e) => e.event === 'LAST_DELIVERED_AT_UPDATE', 'Tom LAST_DELIVERED_AT_UPDATE');
    await h.settle();
    facts.delivered = {
      events: h.eventsOf('send'),
      messageAfter: h.messageView(message, tom),
      lastDeliveredAt: ms(chat.lastDeliveredAt),
      rcp: h.framesOf('Tom', (d, f) => f.dir === 'in' && d.cmd === 'rcp' && f.step === 'send').map((f) => h.summarize(f).body),
      acks: ['Jerry', 'Jerry@2'].reduce((o, n) => Object.assign(o, {
        [n]: h.framesOf(n, (d, f) => f.dir === 'out' && d.cmd === 'ack').map((f) => f.d.ackMessage),
      }), {}),
    };

    h.begin('read');
    const jerryChat = await conversationOf(h, jerry, chat.id);
    facts.jerryUnreadBeforeRead = jerryChat.unreadMessagesCount;
    await jerryChat.read();
    await h.waitFor('Tom', (e) => e.event === 'LAST_READ_AT_UPDATE', 'Tom LAST_READ_AT_UPDATE');
    await h.waitFor('Jerry@2', (e) => e.event === 'UNREAD_MESSAGES_COUNT_UPDATE' && e.step === 'read', 'Jerry@2 UNREAD_MESSAGES_COUNT_UPDATE');
    await h.settle();
    facts.read = {
      events: h.eventsOf('read'),
      lastReadAt: ms(chat.lastReadAt),
      readSent: h.framesOf('Jerry', (d, f) => f.dir === 'out' && d.cmd === 'read').map((f) => f.d.readMessage),
      rcp: h.framesOf('Tom', (d, f) => f.dir === 'in' && d.cmd === 'rcp' && f.step === 'read').map((f) => h.summarize(f).body),
      otherDeviceUnread: h.framesOf('Jerry@2', (d, f) => f.dir === 'in' && d.cmd === 'unread').map((f) => h.summarize(f).body),
    };

    h.begin('max_read');
    // a fresh view of the same conversation (another device of Tom) reads the timestamps from the server
    const tom3 = await h.login('Tom@3', 1, { id: tom.id });
    const fresh = await conversationOf(h, tom3, chat.id);
    await fresh.fetchReceiptTimestamps();
    facts.maxRead = {
      lastDeliveredAt: ms(fresh.lastDeliveredAt),
      lastReadAt: ms(fresh.lastReadAt),
      reply: h.framesOf('Tom@3', (d, f) => f.dir === 'in' && d.cmd === 'conv' && d.op === 'max_read').map((f) => f.d.convMessage),
    };

    h.begin('no-receipt');
    const plainMessage = await chat.send(h.text(tom, 'without receipt'));
    facts.noReceiptSent = h.messageView(plainMessage, tom);
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'no-receipt', 'Jerry MESSAGE');
    await h.waitForFrame('Jerry', (d, f) => f.dir === 'out' && d.cmd === 'ack' && f.step === 'no-receipt', 'Jerry ack');
    await h.settle(1500);
    facts.noReceipt = {
      rcp: h.framesOf('Tom', (d, f) => f.dir === 'in' && d.cmd === 'rcp' && f.step === 'no-receipt').map((f) => h.summarize(f).body),
      events: h.eventsOf('no-receipt').Tom,
      status: h.messageView(plainMessage, tom).status,
    };

    h.begin('history');
    facts.history = await h.history(tom, chat, { limit: 10 });
    facts.historyLogs = h.framesOf('Tom', (d, f) => f.dir === 'in' && d.cmd === 'logs' && f.step === 'history').map((f) => f.d.logsMessage);
  },

  // 5b. The JS SDK's own `Messages > read`: Tom creates a chat with Jerry, so Jerry is first among its members;
  // Tom sends (Jerry receives it: Jerry's own delivered time, no read time); Jerry sends with receipt, Tom reads;
  // Jerry fetches the receipt timestamps, its own (fetchReceiptTimestamps) and everyone's
  // (_fetchAllReceiptTimestamps: conv/max_read with queryAllMembers, used by the SDK's group receipt plugin).
  async 'read-receipts'(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    h.begin('create');
    const chat = await privateChat(h, tom, jerry, 'read receipts');
    facts.cid = chat.id;
    const jerryChat = await conversationOf(h, jerry, chat.id);
    facts.members = h.names(jerryChat.members);
    h.begin('deliver');
    await h.send(tom, chat, h.text(tom, 'hello Jerry'));
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'deliver', 'Jerry MESSAGE');
    await h.waitForFrame('Jerry', (d, f) => f.dir === 'out' && d.cmd === 'ack' && f.step === 'deliver', 'Jerry ack');
    await h.settle(300);
    h.begin('read');
    facts.sent = h.messageView(await jerryChat.send(h.text(jerry, 'please read'), { receipt: true }), jerry);
    await h.waitFor('Tom', (e) => e.event === 'MESSAGE' && e.step === 'read', 'Tom MESSAGE');
    await chat.read();
    await h.waitFor('Jerry', (e) => e.event === 'LAST_READ_AT_UPDATE', 'Jerry LAST_READ_AT_UPDATE');
    await h.settle(300);
    h.begin('fetch');
    await jerryChat.fetchReceiptTimestamps();
    facts.own = { lastDeliveredAt: ms(jerryChat.lastDeliveredAt), lastReadAt: ms(jerryChat.lastReadAt) };
    const all = await jerryChat._fetchAllReceiptTimestamps();
    facts.all = all.map((t) => ({ pid: h.name(t.pid), lastDeliveredAt: ms(t.lastDeliveredAt), lastReadAt: ms(t.lastReadAt) }));
    // what the SDK's suite then checks of the first tuple (`maxReadTuples.lastReadAt.should.be.a.Date()`)
    const [first] = all;
    try {
      facts.firstTuple = { pid: h.name(first.pid), lastDeliveredAt: first.lastDeliveredAt.toISOString(), lastReadAt: first.lastReadAt.toISOString() };
    } catch (e) {
      facts.firstTuple = { error: errorJson(e) };
    }
    facts.reply = h.framesOf('Jerry', (d, f) => f.dir === 'in' && d.cmd === 'conv' && d.op === 'max_read' && f.step === 'fetch')
      .map((f) => h.summarize(f).body);
    facts.reply.forEach((b) => (b.maxReadTuples || []).forEach((t) => { t.pid = h.name(t.pid); }));
  },

  // 5c. Temporary conversations (§8.7), as the JS SDK's own `TemporaryConversation` tests: Tom creates one with
  // Jerry, sends, Jerry receives and then creates one with Tom himself (5.x sends unique: true and must get Tom's;
  // 4.3.1 sends unique: false). Tom creates one with ttl 1 s, lets it expire and sends: refused locally, then (its
  // expiry moved ahead) by the server. Then Tom creates one with the same member again: a new, live one.
  async temporary(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    h.begin('create');
    let received = null;
    jerry.client.on('message', (message, conversation) => { received = conversation; });
    const tomTemp = await tom.client.createTemporaryConversation({ members: [jerry.id] });
    facts.cid = tomTemp.id;
    h.begin('send');
    const sent = await h.send(tom, tomTemp, h.text(tom, 'hi'));
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'send', 'Jerry MESSAGE');
    facts.sent = sent;
    facts.received = { cid: received.id, expired: received.expired, expiredAt: ms(received.expiredAt),
      message: h.messagesOf('Jerry', 'send')[0] };
    h.begin('again');
    const jerryTemp = await jerry.client.createTemporaryConversation({ members: [tom.id] });
    facts.again = { cid: jerryTemp.id, sameCid: jerryTemp.id === tomTemp.id, sameObject: jerryTemp === received,
      expired: jerryTemp.expired, expiredAt: ms(jerryTemp.expiredAt) };
    facts.starts = h.frames.filter((f) => f.dir === 'out' && f.d.cmd === 'conv' && f.d.op === 'start')
      .map((f) => ({ step: f.step, unique: f.d.convMessage.unique === undefined ? null : f.d.convMessage.unique,
        tempConv: f.d.convMessage.tempConv === undefined ? null : f.d.convMessage.tempConv }));

    h.begin('expire');
    const other = `Dli-${h.run}`;
    const shortLived = await tom.client.createTemporaryConversation({ members: [other], ttl: 1 });
    await sleep(1100);
    const attempt = async () => {
      try {
        await shortLived.send(h.text(tom, ''));
        return { sent: true };
      } catch (e) {
        return errorJson(e);
      }
    };
    facts.expire = { cid: shortLived.id, expiredLocally: shortLived.expired, local: await attempt() };
    shortLived.expiredAt = Date.now() + 1000000; // as the SDK's suite does: only the server can refuse now
    facts.expire.expiredAfterMove = shortLived.expired;
    facts.expire.server = await attempt();
    facts.expire.acks = h.framesOf('Tom', (d, f) => f.dir === 'in' && d.cmd === 'ack' && f.step === 'expire')
      .map((f) => h.summarize(f).body);

    h.begin('renew');
    const renewed = await tom.client.createTemporaryConversation({ members: [other], ttl: 60 });
    facts.renew = { cid: renewed.id, expired: renewed.expired, expiredAt: ms(renewed.expiredAt), createdAt: Date.now() };
    facts.renew.sent = await h.send(tom, renewed, h.text(tom, 'after expiry'));
    const renewedAgain = await tom.client.createTemporaryConversation({ members: [other], ttl: 60 });
    facts.renew.again = renewedAgain.id;
  },

  // 6. Chatroom: Tom (node 1) creates it, Jerry and Bob (node 2) join, Bob closes; William (node 2) is online but
  // never joins. Tom sends; only Jerry gets it; Bob logs in again and gets neither the message nor an unread count.
  async chatroom(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 1);
    await h.login('William', 1);
    h.begin('create');
    const room = await tom.client.createChatRoom({ name: 'room' });
    facts.cid = room.id;
    for (const entry of [jerry, bob]) {
      const conversation = await conversationOf(h, entry, room.id);
      await conversation.join();
    }
    facts.countAfterJoins = await room.count();
    h.begin('bob-leaves');
    await h.close('Bob');
    await h.settle(500);
    h.begin('send');
    facts.sent = await h.send(tom, room, h.text(tom, 'room message 房间'));
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'send', 'Jerry MESSAGE');
    await h.settle();
    facts.send = {
      events: h.eventsOf('send'),
      pushes: ['Tom', 'Jerry', 'Bob', 'William'].reduce((o, n) => Object.assign(o, { [n]: h.directPushes(n, 'send') }), {}),
    };
    h.begin('relogin');
    await h.login('Bob@again', 1, { exactId: bob.id });
    await h.settle(Math.max(h.quietMs, 1500));
    facts.relogin = {
      events: h.eventsOf('relogin'),
      pushes: h.directPushes('Bob@again', 'relogin'),
      unreadPushes: h.framesOf('Bob@again', (d, f) => f.dir === 'in' && d.cmd === 'unread').map((f) => h.summarize(f).body),
    };
    h.begin('history');
    facts.history = await h.history(jerry, await conversationOf(h, jerry, room.id), { limit: 10 });
  },

  // 7. Will messages: Tom (node 1) registers one in a group with Jerry and Bob (node 2) and his socket dies;
  // then Bob registers one and closes cleanly.
  async will(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 1);
    h.begin('create');
    const group = await tom.client.createConversation({ members: [jerry.id, bob.id], name: 'will group', unique: false });
    facts.cid = group.id;
    await h.waitFor('Bob', (e) => e.event === 'INVITED', 'Bob INVITED');
    await h.settle(300);
    h.begin('register');
    const will = await group.send(h.text(tom, 'Tom 掉线了'), { will: true });
    facts.willAck = h.messageView(will, tom);
    facts.willSent = h.framesOf('Tom', (d, f) => f.dir === 'out' && d.cmd === 'direct').map((f) => f.d.directMessage);
    await h.settle();
    facts.register = { events: h.eventsOf('register') };
    h.begin('kill');
    facts.killedConnections = h.kill('Tom');
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'kill', 'Jerry MESSAGE (will)');
    await h.waitFor('Bob', (e) => e.event === 'MESSAGE' && e.step === 'kill', 'Bob MESSAGE (will)');
    await h.settle();
    facts.kill = {
      events: h.eventsOf('kill'),
      pushes: ['Jerry', 'Bob'].reduce((o, n) => Object.assign(o, { [n]: h.directPushes(n, 'kill') }), {}),
    };
    h.begin('clean');
    const bobGroup = await conversationOf(h, bob, group.id);
    await bobGroup.send(h.text(bob, 'Bob 掉线了'), { will: true });
    await h.close('Bob');
    await h.settle(Math.max(h.quietMs, 2000));
    facts.clean = { events: h.eventsOf('clean', (e) => e.event !== 'DISCONNECT' && e.event !== 'RECONNECT') };
    h.begin('history');
    facts.history = await h.history(jerry, await conversationOf(h, jerry, group.id), { limit: 10 });
  },

  // 8. Recall and edit: Tom (node 1) sends two messages to Jerry and Bob (node 2), recalls the first and edits
  // the second.
  async patch(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 1);
    h.begin('create');
    const group = await tom.client.createConversation({ members: [jerry.id, bob.id], name: 'patch group', unique: false });
    facts.cid = group.id;
    await h.waitFor('Bob', (e) => e.event === 'INVITED', 'Bob INVITED');
    h.begin('send');
    const first = await group.send(h.text(tom, 'to be recalled'));
    const second = await group.send(h.text(tom, 'to be edited'));
    facts.sent = [h.messageView(first, tom), h.messageView(second, tom)];
    for (const name of ['Jerry', 'Bob']) await h.waitFor(name, (e) => e.event === 'MESSAGE' && e.step === 'send', `${name} MESSAGE x2`, 2);
    await h.settle(300);
    h.begin('recall');
    const recalled = await group.recall(first);
    facts.recalled = h.messageView(recalled, tom);
    for (const name of ['Jerry', 'Bob']) await h.waitFor(name, (e) => e.event === 'MESSAGE_RECALL', `${name} MESSAGE_RECALL`);
    await h.settle();
    facts.recall = {
      events: h.eventsOf('recall'),
      reply: h.framesOf('Tom', (d, f) => f.dir === 'in' && d.cmd === 'patch' && f.step === 'recall').map((f) => h.summarize(f)),
      pushes: ['Jerry', 'Bob'].reduce((o, n) => Object.assign(o, {
        [n]: h.framesOf(n, (d, f) => f.dir === 'in' && d.cmd === 'patch' && f.step === 'recall').map((f) => h.summarize(f).body),
      }), {}),
    };
    h.begin('update');
    const edited = await group.update(second, h.text(tom, 'edited 已修改'));
    facts.edited = h.messageView(edited, tom);
    for (const name of ['Jerry', 'Bob']) await h.waitFor(name, (e) => e.event === 'MESSAGE_UPDATE', `${name} MESSAGE_UPDATE`);
    await h.settle();
    facts.update = {
      events: h.eventsOf('update'),
      reply: h.framesOf('Tom', (d, f) => f.dir === 'in' && d.cmd === 'patch' && f.step === 'update').map((f) => h.summarize(f)),
      pushes: ['Jerry', 'Bob'].reduce((o, n) => Object.assign(o, {
        [n]: h.framesOf(n, (d, f) => f.dir === 'in' && d.cmd === 'patch' && f.step === 'update').map((f) => h.summarize(f).body),
      }), {}),
    };
    h.begin('history');
    facts.history = {
      Jerry: await h.history(jerry, await conversationOf(h, jerry, group.id), { limit: 10 }),
      Tom: await h.history(tom, group, { limit: 10 }),
    };
  },

  // Cloud hooks (HooksIT): the app's LeanEngine (src/test/js-engine/server.js) refuses a conversation named
  // `forbidden`, drops `hook:drop`, rewrites `hook:rewrite` and reroutes `hook:reroute=<id>`; Harry is a member who
  // never logs in (the offline member of _receiversOffline).
  async hooks(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    await h.login('Bob', 1);
    const harry = `Harry-${h.run}`;
    h.idToName.set(harry, 'Harry');
    facts.harry = harry;
    h.begin('create');
    const group = await tom.client.createConversation({ members: [jerry.id, `Bob-${h.run}`, harry], name: 'hooked', unique: false });
    facts.cid = group.id;
    await h.waitFor('Bob', (e) => e.event === 'INVITED', 'Bob INVITED');
    h.begin('forbidden');
    facts.forbidden = await tom.client.createConversation({ members: [jerry.id], name: 'forbidden', unique: false })
      .then((c) => ({ created: c.id }), (e) => ({ code: e.code, appCode: e.appCode === undefined ? null : e.appCode, detail: e.detail || null, message: e.message }));
    h.begin('plain');
    facts.plain = await h.send(tom, group, h.text(tom, 'plain hello'));
    for (const name of ['Jerry', 'Bob']) await h.waitFor(name, (e) => e.event === 'MESSAGE' && e.step === 'plain', `${name} MESSAGE`);
    h.begin('drop');
    facts.drop = await group.send(h.text(tom, 'hook:drop this'))
      .then((m) => ({ sent: h.messageView(m, tom) }), (e) => ({ code: e.code, appCode: e.appCode === undefined ? null : e.appCode, message: e.message }));
    await h.settle();
    h.begin('rewrite');
    facts.rewrite = await h.send(tom, group, h.text(tom, 'hook:rewrite this'));
    await h.waitFor('Tom', (e) => e.event === 'MESSAGE_UPDATE' && e.step === 'rewrite', 'Tom MESSAGE_UPDATE');
    for (const name of ['Jerry', 'Bob']) await h.waitFor(name, (e) => e.event === 'MESSAGE' && e.step === 'rewrite', `${name} MESSAGE`);
    h.begin('reroute');
    facts.reroute = await h.send(tom, group, h.text(tom, `hook:reroute=${jerry.id}`));
    await h.waitFor('Jerry', (e) => e.event === 'MESSAGE' && e.step === 'reroute', 'Jerry MESSAGE');
    await h.settle();
    facts.events = ['plain', 'drop', 'rewrite', 'reroute'].reduce((o, step) => Object.assign(o, { [step]: h.eventsOf(step) }), {});
  },

  // Order on a shared socket (issue 9 point 4): per --rtm node, one Realtime (one WebSocket) with two clients, Amy
  // and Ben, in --conversations conversations of their own. Amy sends --rounds messages (round robin over the
  // conversations) and edits and recalls --patch-rounds of them; Ben receives each one on the same WebSocket. A
  // round is reordered when Ben's push reached the socket before the reply to Amy's command (wire), or when the
  // SDK emitted Ben's event before Amy's promise resolved (sdk).
  async 'shared-order'(h) {
    const rounds = Number(args.rounds || 100);
    const patchRounds = Number(args['patch-rounds'] || 10);
    const perSocket = Number(args.conversations || 2);
    facts.sockets = [];
    for (let node = 0; node < h.rtm.length; node++) {
      const amy = await h.login(`Amy${node}`, node);
      const ben = await h.loginShared(`Ben${node}`, amy);
      const conns = Array.from(amy.conns);
      const result = {
        node: h.rtm[node], connections: conns, benConnections: Array.from(ben.conns), cids: [],
        rounds: 0, patchRounds: 0,
        wire: { direct: 0, update: 0, recall: 0 }, sdk: { direct: 0, update: 0, recall: 0 }, examples: [],
      };
      facts.sockets.push(result);
      h.begin(`create-${node}`);
      const conversations = [];
      for (let k = 0; k < perSocket; k++) {
        const conversation = await amy.client.createConversation({ members: [ben.id], name: `shared ${node}/${k}`, unique: false });
        conversations.push(conversation);
        result.cids.push(conversation.id);
        await h.waitFor(ben.name, (e) => e.event === 'INVITED' && e.cid === conversation.id, `${ben.name} INVITED`);
      }
      // Ben's SDK events, numbered on one counter with Amy's resolved promises
      let seq = 0;
      const seen = new Map(); // `${kind}:${messageId}` -> seq
      ben.client.on('message', (m) => seen.set(`direct:${m.id}`, ++seq));
      ben.client.on('messageupdate', (m) => seen.set(`update:${m.id}`, ++seq));
      ben.client.on('messagerecall', (m) => seen.set(`recall:${m.id}`, ++seq));
      const inFrames = (from) => h.frames.slice(from).filter((f) => f.dir === 'in' && conns.includes(f.conn));
      const check = async (kind, from, run, replyOf, pushOf) => {
        const message = await run();
        const resolved = ++seq;
        await waitUntil(() => seen.has(`${kind}:${message.id}`), h.waitMs, `${ben.name} ${kind} ${message.id}`, 5);
        const frames = inFrames(from);
        const reply = frames.findIndex((f) => replyOf(f.d, message));
        const push = frames.findIndex((f) => pushOf(f.d, message));
        const wireLate = push < 0 || reply < 0 || push < reply;
        const sdkLate = seen.get(`${kind}:${message.id}`) < resolved;
        if (wireLate) result.wire[kind]++;
        if (sdkLate) result.sdk[kind]++;
        if ((wireLate || sdkLate) && result.examples.length < 10) {
          result.examples.push({ kind, id: message.id, reply, push, frames: frames.slice(0, 6).map((f) => h.summarize(f)) });
        }
        return message;
      };
      const isPushTo = (d) => d.peerId === ben.id || (d.peerId === undefined && ben.id === h.connections[conns[0] - 1].peers[0]);
      const patchPush = (d, m) => d.cmd === 'patch' && d.op === 'modify' && isPushTo(d)
        && (d.patchMessage.patches || []).some((p) => p.mid === m.id);
      const patchReply = (d) => d.cmd === 'patch' && d.op === 'modified';
      h.begin(`rounds-${node}`);
      for (let r = 0; r < rounds; r++) {
        const conversation = conversations[r % conversations.length];
        const from = h.frames.length;
        const sent = await check('direct', from, () => conversation.send(h.text(amy, `round ${node}/${r}`)),
          (d, m) => d.cmd === 'ack' && d.ackMessage && d.ackMessage.uid === m.id,
          (d, m) => d.cmd === 'direct' && isPushTo(d) && d.directMessage && d.directMessage.id === m.id);
        result.rounds++;
        if (r < patchRounds) {
          let at = h.frames.length;
          const edited = await check('update', at, () => conversation.update(sent, h.text(amy, `edited ${node}/${r}`)),
            patchReply, patchPush);
          at = h.frames.length;
          await check('recall', at, () => conversation.recall(edited), patchReply, patchPush);
          result.patchRounds++;
        }
      }
    }
  },

  // Cross-SDK: --client (an exact id, on the first --rtm node) waits for --count messages in --cid, then reads the
  // conversation's history.
  async receive(h) {
    const name = args.client;
    const entry = await h.login(name, 0, { exactId: args.client });
    h.begin('receive');
    facts.ready = Date.now();
    const count = Number(args.count);
    await h.waitFor(name, (e) => e.event === 'MESSAGE' && e.cid === args.cid, `${count} messages`, count);
    await h.settle();
    facts.received = h.clients.get(name).events.filter((e) => e.event === 'MESSAGE').map((e) => e.message);
    facts.events = h.eventsOf('receive')[name];
    facts.payloads = h.framesOf(name, (d, f) => f.dir === 'in' && d.cmd === 'direct').map((f) => f.d.directMessage.msg);
    h.begin('history');
    facts.history = await h.history(entry, await conversationOf(h, entry, args.cid), { limit: 20 });
  },

  // REST-driven: --client (an exact id, on the first --rtm node) waits for --count messages in --cid, then for one
  // edit (MESSAGE_UPDATE) and one recall (MESSAGE_RECALL) of them, then reads the conversation's history.
  async 'receive-patches'(h) {
    const name = args.client;
    const entry = await h.login(name, 0, { exactId: args.client });
    h.begin('receive');
    facts.ready = Date.now();
    const count = Number(args.count);
    await h.waitFor(name, (e) => e.event === 'MESSAGE' && e.cid === args.cid, `${count} messages`, count);
    await h.waitFor(name, (e) => e.event === 'MESSAGE_UPDATE' && e.cid === args.cid, 'MESSAGE_UPDATE');
    await h.waitFor(name, (e) => e.event === 'MESSAGE_RECALL' && e.cid === args.cid, 'MESSAGE_RECALL');
    await h.settle();
    facts.events = h.eventsOf('receive')[name];
    h.begin('history');
    facts.history = await h.history(entry, await conversationOf(h, entry, args.cid), { limit: 20 });
  },

  // Cross-SDK: --client sends every --text (a TextMessage), then every --emoji (the type 2 Emoji, ecode "#e001"),
  // each with the attributes {from: 'js', 语言: '中文'}, to --cid.
  async send(h) {
    const name = args.client;
    const entry = await h.login(name, 0, { exactId: args.client });
    h.begin('send');
    const conversation = await conversationOf(h, entry, args.cid);
    const attributes = { from: 'js', 语言: '中文' };
    facts.sent = [];
    for (const t of args.text || []) facts.sent.push(await h.send(entry, conversation, h.text(entry, t, attributes)));
    for (const t of args.emoji || []) facts.sent.push(await h.send(entry, conversation, h.emoji(entry, '#e001', t, attributes)));
    facts.payloads = h.framesOf(name, (d, f) => f.dir === 'out' && d.cmd === 'direct').map((f) => f.d.directMessage.msg);
    await h.settle(300);
  },

  // A client silenced for a while by the app server (REST temporary-silenceds): --client sends to --cid every
  // 250 ms; each refusal is recorded ({code, name, at}) until a send goes through (within --wait-ms), which is
  // recorded as `sent` with its time `sentAt`. Any refusal but 4315 ends the scenario with that error.
  async 'silenced-send'(h) {
    const name = args.client;
    const entry = await h.login(name, 0, { exactId: args.client });
    h.begin('silenced-send');
    const conversation = await conversationOf(h, entry, args.cid);
    if (args['silence-api']) {
      // As an app server would: POST .../temporary-silenceds with the master key, now that the client is in.
      facts.silencedAt = Date.now();
      const res = await fetch(`${args['silence-api']}/1.2/rtm/conversations/${args.cid}/temporary-silenceds`, {
        method: 'POST',
        headers: { 'X-LC-Id': args['app-id'], 'X-LC-Key': `${args['master-key']},master`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ client_id: args.client, ttl: Number(args['silence-ttl']) }),
      });
      facts.silence = { status: res.status, body: await res.text() };
      if (res.status !== 200) throw namedError('SILENCE', `temporary-silenceds answered ${res.status}`);
    }
    facts.refusals = [];
    const end = Date.now() + h.waitMs;
    for (let n = 0; ; n++) {
      const at = Date.now();
      try {
        facts.sent = await h.send(entry, conversation, h.text(entry, `try #${n}`));
        facts.sentAt = Date.now();
        break;
      } catch (e) {
        facts.refusals.push({ code: e.code, name: e.name, message: e.message, at });
        if (e.code !== 4315) throw e;
        if (Date.now() > end) throw namedError('TIMEOUT', `still silenced after ${h.waitMs} ms`);
        await sleep(250);
      }
    }
  },
};

if (!cli.done) main(); // last: the classes and scenario table above must be initialized
