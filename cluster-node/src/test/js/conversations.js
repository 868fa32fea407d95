#!/usr/bin/env node
/*
 * Parley JS SDK conversation scenarios: drives the unmodified official LeanCloud realtime SDKs
 * (leancloud-realtime 4.3.1 as "lc4", 5.0.0-rc.8 as "lc5") through the seed's conversation scenarios.
 *
 *   node conversations.js <scenario> --sdk 4|5 --app-id ID --app-key KEY --rtm ws://127.0.0.1:P/[,ws://...]
 *        [--server http://127.0.0.1:P] [--no-binary] [--run SUFFIX] [--timeout-ms N] [--quiet-ms 1500]
 *        [--share-connection]   (clients on the same node share one Realtime, i.e. one WebSocket)
 *        [--client ID --cid CID]   (read-conversation)
 *        [--trace] [--debug]
 *
 * Scenarios: private-chat, group-query, seed-tables, self-join, chatroom, read-conversation (see README.md).
 *
 * Every client has its own Realtime (its own WebSocket) on RTMServers = [rtm[i % rtm.length]], client i being
 * the i-th in the scenario's cast (Tom 0, Jerry 1, Bob 2, Harry 3, William 4). leancloud-realtime 5 refuses a
 * second `new Realtime` for the same appId in one module instance ("App [x] is already initialized."), so for
 * v5 every further Realtime comes from a freshly loaded copy of the SDK module (its require.cache entry is
 * dropped first) - the same as running it in another process, with the SDK's code untouched.
 * With --share-connection the clients of one node share one Realtime instead (one WebSocket carrying several
 * sessions; the SDK then routes pushes to its clients by their peerId).
 *
 * Client ids are `<Name>-<run>` (--run, default random); facts name clients by their short names.
 *
 * stdout: exactly one line, a JSON object: {"ok":true,...facts} (exit 0) or
 *         {"ok":false,"error":{"name","code","message"},"facts":{...}} (exit 1).
 * stderr: diagnostics; with --trace one "[trace] {...}" line per WebSocket frame; with --debug the SDK's
 *         own debug output (DEBUG=LC:*).
 */
'use strict';

const {
  Cli, ClientHarness, usageError, namedError, waitUntil, sleep, errorJson, traceHttpRequests,
} = require('./lib/harness');

// ---------------------------------------------------------------------------------------------
// arguments and result

const SCENARIOS = ['private-chat', 'group-query', 'seed-tables', 'self-join', 'chatroom', 'roles', 'reliable-notifications',
  'read-conversation'];

const cli = new Cli({
  script: 'conversations.js',
  booleans: ['no-binary', 'share-connection', 'trace', 'debug'],
  scenarios: SCENARIOS,
  check(args) {
    if (!args.rtm) throw usageError('--rtm is required');
    if (args._[0] === 'read-conversation' && (!args.client || !args.cid)) {
      throw usageError('read-conversation needs --client and --cid');
    }
  },
});
const { args, facts } = cli;

function main() {
  cli.guard({ timeoutMs: 60000, recordRejections: true });
  new Harness().play(SCENARIO_FUNCTIONS[args._[0]]);
}

// ---------------------------------------------------------------------------------------------
// harness: clients, conv pushes and SDK events (SDK loading and frame tracing: lib/harness.js)

const EVENT_NAMES = {
  invited: 'INVITED',
  kicked: 'KICKED',
  membersjoined: 'MEMBERS_JOINED',
  membersleft: 'MEMBERS_LEFT',
  memberinfoupdated: 'MEMBER_INFO_UPDATED',
  blocked: 'BLOCKED',
  unblocked: 'UNBLOCKED',
  membersblocked: 'MEMBERS_BLOCKED',
  membersunblocked: 'MEMBERS_UNBLOCKED',
  muted: 'MUTED',
  unmuted: 'UNMUTED',
  membersmuted: 'MEMBERS_MUTED',
  membersunmuted: 'MEMBERS_UNMUTED',
  conversationinfoupdated: 'CONVERSATION_INFO_UPDATED',
  unhandledmessage: 'UNHANDLED_MESSAGE',
  message: 'MESSAGE',
  close: 'CLOSE',
  conflict: 'CONFLICT',
};

class Harness extends ClientHarness {
  constructor() {
    super(cli, { quietMs: 1500, pollMs: 50 });
    this.realtimeByUrl = new Map(); // --share-connection
  }

  // a push (no `i`): it belongs to the client the SDK dispatches it to
  onFrame(conn, f) {
    const d = f.d;
    if (f.dir === 'in' && d.i === undefined && d.cmd === 'conv') {
      const owner = this.owner(conn.id, d);
      if (owner) owner.pushes.push(Object.assign({ step: this.step }, this.summarizeConv(d)));
    }
  }

  summarizeConv(d) {
    const c = d.convMessage || {};
    const o = { op: d.op === undefined ? null : d.op };
    if (d.peerId !== undefined) o.peerId = this.name(d.peerId);
    if (c.cid !== undefined) o.cid = c.cid;
    if (c.initBy !== undefined) o.initBy = this.name(c.initBy);
    if (c.m !== undefined) o.m = this.names(c.m);
    if (d.serverTs !== undefined) o.serverTs = d.serverTs;
    if (d.notificationType !== undefined) o.notificationType = d.notificationType;
    return o;
  }

  // every conv command of a client's connection (requests, replies, pushes), for evidence
  wireOf(name) {
    const c = this.clients.get(name);
    return this.frames
      .filter((f) => (f.d.cmd === 'conv' || f.d.cmd === 'error') && this.owner(f.conn, f.d) === c)
      .map((f) => {
        const o = Object.assign({ step: f.step, dir: f.dir }, this.summarizeConv(f.d));
        if (f.d.i !== undefined) o.i = f.d.i;
        const cm = f.d.convMessage || {};
        if (cm.allowedPids) o.allowedPids = this.names(cm.allowedPids);
        if (cm.failedPids) o.failedPids = cm.failedPids;
        if (cm.where) o.where = cm.where.data;
        if (cm.results) o.results = cm.results.data;
        if (cm.count !== undefined) o.count = cm.count;
        if (cm.attr) o.attr = cm.attr.data;
        if (cm.unique !== undefined) o.unique = cm.unique;
        if (cm.transient !== undefined) o.transient = cm.transient;
        if (f.d.errorMessage) o.error = f.d.errorMessage;
        return o;
      });
  }

  /** Logs `name` in as client number `index` (node rtm[index % n]); `exactId` skips the run suffix. */
  async login(name, index, exactId) {
    const id = exactId || `${name}-${this.run}`;
    const url = this.rtm[index % this.rtm.length];
    let realtime = args['share-connection'] ? this.realtimeByUrl.get(url) : null;
    if (!realtime) {
      realtime = this.newRealtime(url).realtime;
      this.realtimeByUrl.set(url, realtime);
    }
    const entry = { name, id, url, realtime, client: null, conns: new Set(), events: [], pushes: [] };
    this.clients.set(name, entry);
    this.idToName.set(id, name);
    const client = await this.openClient(entry);
    this.connections.filter((c) => c.peers.includes(id)).forEach((c) => entry.conns.add(c.id));
    Object.keys(EVENT_NAMES).forEach((ev) => {
      client.on(ev, (payload, conversation) => this.onEvent(entry, EVENT_NAMES[ev], payload, conversation));
    });
    return client;
  }

  onEvent(entry, event, payload, conversation) {
    this.lastActivity = Date.now();
    const e = { step: this.step, event };
    if (conversation && conversation.id) e.cid = conversation.id;
    if (payload && typeof payload === 'object' && !(payload instanceof Error)) {
      ['invitedBy', 'kickedBy', 'blockedBy', 'unblockedBy', 'mutedBy', 'unmutedBy', 'updatedBy'].forEach((k) => {
        if (payload[k] !== undefined) e[k] = this.name(payload[k]);
      });
      if (payload.members !== undefined) e.members = this.names(payload.members);
      if (payload.attributes !== undefined) e.attributes = payload.attributes;
      if (payload.code !== undefined) e.code = payload.code;
      if (payload.reason !== undefined) e.reason = payload.reason;
      if (event === 'UNHANDLED_MESSAGE') e.command = { cmd: payload.cmd, op: payload.op };
    }
    if (event === 'INVITED' && conversation) {
      // what the SDK knows about the conversation it was invited to (fetched by conv/query if not cached)
      e.conversation = { name: conversation.name === undefined ? null : conversation.name, members: this.names(conversation.members) };
    }
    entry.events.push(e);
    cli.log(`${entry.name} ${JSON.stringify(e)}`);
  }

  /** Waits (up to `ms`) until `name` has recorded an event satisfying `pred`. */
  async waitFor(name, pred, ms, what) {
    const entry = this.clients.get(name);
    await waitUntil(() => entry.events.some(pred), ms, what, 25);
  }

  /** The conv pushes per client for one step (like eventsOf). */
  pushesOf(step) {
    return this.perClient('pushes', step);
  }

  /** The conv/start the client sent last (wire view of createConversation's options). */
  lastStart(name) {
    const frames = this.wireOf(name).filter((f) => f.dir === 'out' && f.op === 'start');
    return frames.length ? frames[frames.length - 1] : null;
  }

  report() {
    super.report();
    facts.subprotocols = this.subprotocols();
    facts.connections = this.connections.length;
    facts.sharedConnection = !!args['share-connection'];
  }
}

function conversationView(h, conversation) {
  if (!conversation) return null;
  const attributes = conversation._attributes ? JSON.parse(JSON.stringify(conversation._attributes)) : null;
  const get = (k) => {
    const v = typeof conversation.get === 'function' ? conversation.get(k) : undefined;
    return v === undefined ? null : v;
  };
  return {
    id: conversation.id,
    name: conversation.name === undefined ? null : conversation.name,
    members: h.names(conversation.members),
    creator: conversation.creator === undefined ? null : h.name(conversation.creator),
    transient: !!conversation.transient,
    type: get('type'),
    attr: get('attr'),
    attributes, // the custom (top-level) columns as the SDK keeps them
    className: conversation.constructor && conversation.constructor.name,
  };
}

function partial(result) {
  if (!result || typeof result !== 'object') return null;
  return {
    successfulClientIds: result.successfulClientIds,
    failures: (result.failures || []).map((f) => ({ code: f.code, message: f.message, clientIds: f.clientIds })),
  };
}

// ---------------------------------------------------------------------------------------------
// scenarios

const SCENARIO_FUNCTIONS = {
  // Tom creates a conversation with Jerry named "Tom & Jerry" (default options).
  async 'private-chat'(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    h.begin('create');
    const conversation = await tom.createConversation({ members: [jerry.id], name: 'Tom & Jerry' });
    facts.cid = conversation.id;
    facts.startSent = h.lastStart('Tom');
    await h.waitFor('Jerry', (e) => e.event === 'INVITED', 10000, 'Jerry INVITED');
    await h.settle();
    facts.events = h.eventsOf('create');
    facts.pushes = h.pushesOf('create');
    const invited = h.clients.get('Jerry').events.find((e) => e.event === 'INVITED');
    facts.jerry = {
      invitedBy: invited.invitedBy,
      cid: invited.cid,
      name: invited.conversation.name,
      members: invited.conversation.members,
      queriedById: h.wireOf('Jerry').some((f) => f.dir === 'out' && f.op === 'query' && (f.where || '').includes(conversation.id)),
    };
    facts.tom = { name: conversation.name, members: h.names(conversation.members) };
    facts.uniqueSent = facts.startSent ? facts.startSent.unique === true : null; // 4.3.1 sends nothing (default false)
    const results = h.wireOf('Jerry').filter((f) => f.dir === 'in' && f.op === 'results').map((f) => JSON.parse(f.results));
    const stored = results.length && results[0].length ? results[0][0] : null;
    facts.uniqueStored = stored ? stored.unique === true : null;
    facts.tomEvents = facts.events.Tom;

    // Jerry starts the same member set again with unique: true: 5.x made the first one unique, so the server
    // must hand back that conversation (no event to anyone); 4.3.1 did not (its default is unique: false).
    h.begin('again');
    const again = await jerry.createConversation({ members: [tom.id], name: 'Tom & Jerry', unique: true });
    await h.settle();
    facts.again = { cid: again.id, sameCid: again.id === conversation.id, startSent: h.lastStart('Jerry'), events: h.eventsOf('again') };
  },

  // Tom creates a group with Jerry, Bob and Harry (type "group"); Jerry finds it by query.
  async 'group-query'(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 2);
    const harry = await h.login('Harry', 3);
    h.begin('create');
    const group = await tom.createConversation({ members: [jerry.id, bob.id, harry.id], name: 'group', type: 'group', unique: false });
    facts.cid = group.id;
    facts.startSent = h.lastStart('Tom');
    await h.settle();
    facts.events = h.eventsOf('create');
    h.begin('query');
    const mine = await jerry.getQuery().equalTo('type', 'group').containsMembers([jerry.id]).find();
    facts.query = {
      ids: mine.map((c) => c.id),
      found: mine.map((c) => conversationView(h, c)),
    };
    const any = await jerry.getQuery().equalTo('type', 'group').limit(100).find();
    facts.plainQuery = { count: any.length, includesCid: any.some((c) => c.id === group.id), types: Array.from(new Set(any.map((c) => c.get('type')))) };
    const byId = await bob.getQuery().equalTo('objectId', group.id).find();
    facts.byId = byId.map((c) => conversationView(h, c));
    facts.tomView = conversationView(h, group);
  },

  // The seed's three tables on the group: Tom invites William, kicks Harry; Tom, the owner, cannot quit (member
  // roles are on by default), so Jerry quits.
  async 'seed-tables'(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 2);
    const harry = await h.login('Harry', 3);
    const william = await h.login('William', 4);
    h.begin('create');
    const group = await tom.createConversation({ members: [jerry.id, bob.id, harry.id], name: 'group', type: 'group', unique: false });
    facts.cid = group.id;
    await h.settle();
    const steps = {};
    steps.create = { events: h.eventsOf('create'), pushes: h.pushesOf('create'), tomMembers: h.names(group.members) };

    h.begin('invite');
    const added = await group.add([william.id]);
    await h.settle();
    steps.invite = { result: partial(added), events: h.eventsOf('invite'), pushes: h.pushesOf('invite'), tomMembers: h.names(group.members) };

    h.begin('kick');
    const removed = await group.remove([harry.id]);
    await h.settle();
    steps.kick = { result: partial(removed), events: h.eventsOf('kick'), pushes: h.pushesOf('kick'), tomMembers: h.names(group.members) };

    h.begin('owner-quit');
    steps.ownerQuit = await group.quit().then(() => ({ quit: true }), (e) => ({ error: errorJson(e) }));
    await h.settle();
    steps.ownerQuit.events = h.eventsOf('owner-quit');

    h.begin('quit');
    const jerryGroup = await jerry.getConversation(group.id);
    await jerryGroup.quit();
    await h.settle();
    steps.quit = { events: h.eventsOf('quit'), pushes: h.pushesOf('quit'), tomMembers: h.names(group.members) };

    // afterwards, the member list as a remaining member's SDK reads it from the server
    h.begin('after');
    const reread = await bob.getQuery().equalTo('objectId', group.id).find();
    steps.after = { members: reread.length ? h.names(reread[0].members).slice().sort() : null };
    facts.steps = steps;
    facts.events = {};
    for (const s of ['create', 'invite', 'kick', 'quit']) facts.events[s] = steps[s].events;
    void harry;
  },

  // The SDK suite's `Conversation Management` under the node's default configuration: Tom creates a group with
  // Jerry and Bob; Jerry tries to promote himself to Manager ('member can not promote itself') and to remove Tom;
  // Tom tries to make Jerry the Owner and to quit ('owner can not quit'); then Tom makes Jerry a Manager.
  async roles(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 2);
    h.begin('create');
    const group = await tom.createConversation({ members: [jerry.id, bob.id], name: 'roles', unique: false });
    facts.cid = group.id;
    await h.settle();
    const jerryGroup = await jerry.getConversation(group.id);
    const outcome = (promise) => promise.then((r) => ({ ok: true, result: r && r.failures ? partial(r) : null }),
      (e) => ({ error: errorJson(e) }));
    h.begin('promote-self');
    facts.promoteSelf = await outcome(jerryGroup.updateMemberRole(jerry.id, 'Manager'));
    h.begin('kick-owner');
    facts.kickOwner = await outcome(jerryGroup.remove([tom.id]));
    h.begin('make-owner');
    facts.makeOwner = await outcome(group.updateMemberRole(jerry.id, 'Owner'));
    h.begin('owner-quit');
    facts.ownerQuit = await outcome(group.quit());
    h.begin('promote');
    facts.promote = await outcome(group.updateMemberRole(jerry.id, 'Manager'));
    await h.settle();
    facts.promoteEvents = h.eventsOf('promote');
    h.begin('after');
    const reread = await bob.getQuery().equalTo('objectId', group.id).find();
    facts.membersAfter = reread.length ? h.names(reread[0].members).slice().sort() : null;
  },

  // "William 加入" (docs:guide/beginner.mdx): William, not a member, joins the group by id.
  async 'self-join'(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const william = await h.login('William', 2);
    h.begin('create');
    const group = await tom.createConversation({ members: [jerry.id], name: 'open group', type: 'group', unique: false });
    facts.cid = group.id;
    await h.settle();
    h.begin('join');
    const found = await william.getConversation(group.id);
    facts.williamBefore = conversationView(h, found);
    await found.join();
    await h.settle();
    facts.williamAfter = conversationView(h, found);
    facts.steps = {
      create: { events: h.eventsOf('create'), pushes: h.pushesOf('create') },
      join: { events: h.eventsOf('join'), pushes: h.pushesOf('join') },
    };
  },

  // Tom creates a chatroom; Jerry and Bob join it by id; Bob closes his client.
  async chatroom(h) {
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 2);
    h.begin('create');
    const room = await tom.createChatRoom({ name: 'room' });
    facts.cid = room.id;
    facts.startSent = h.lastStart('Tom');
    facts.tomView = conversationView(h, room);
    h.begin('join');
    const joined = {};
    for (const [name, client] of [['Jerry', jerry], ['Bob', bob]]) {
      const conversation = await client.getConversation(room.id);
      joined[name] = conversationView(h, conversation);
      await conversation.join();
    }
    facts.joinedView = joined;
    facts.countAfterJoins = await room.count();
    h.begin('close');
    const bobEntry = h.clients.get('Bob');
    bobEntry.closed = true;
    await bob.close();
    const start = Date.now();
    let count = await room.count();
    facts.countPolls = [count];
    while (count !== 2 && Date.now() - start < 10000) {
      await sleep(200);
      count = await room.count();
      facts.countPolls.push(count);
    }
    facts.countAfterClose = count;
    facts.countAfterCloseMs = Date.now() - start;
    await h.settle();

    // the seed's form: CreateConversationAsync(members: {Jerry, Harry}, isTransient: true) - the member list
    // of a chatroom is ignored (§6.1 step 3): nobody is invited, only the creator is in the room.
    h.begin('seed-room');
    const seedRoom = await tom.createConversation({ members: [jerry.id, 'Harry-' + h.run], name: 'seed room', transient: true });
    await h.settle();
    facts.seedRoom = {
      cid: seedRoom.id,
      startSent: h.lastStart('Tom'),
      view: conversationView(h, seedRoom),
      count: await seedRoom.count(),
      reread: conversationView(h, (await jerry.getQuery().equalTo('objectId', seedRoom.id).find())[0]),
    };
    facts.events = {};
    for (const s of ['create', 'join', 'close', 'seed-room']) facts.events[s] = h.eventsOf(s);
  },

  // JS 5's reliable notifications (docs/protocol.md §15) and member roles over REST (REST-AND-HOOKS §2.2, §2.3):
  // Tom makes Jerry a Manager and Jerry reads every member's role with getAllMemberInfo (GET
  // /1.1/classes/_ConversationMemberInfo). Then Jerry's Realtime is paused (its WebSocket closed, no reconnect)
  // while Tom adds Harry, removes Bob and starts a new conversation with Jerry; on resume the SDK re-opens with
  // its session token and fetches GET /1.1/rtm/notifications from the serverTs of the last notification it saw,
  // and emits what it missed. Facts: `memberInfo`, `steps.{offline,reconnect}.{events,pushes}`, `http` (every
  // REST call with its status), `warnings` (the SDK's console.warn, e.g. "Syncing notifications failed").
  async 'reliable-notifications'(h) {
    if (args.sdk !== '5') throw usageError('reliable-notifications needs --sdk 5 (4.x has no notification sync)');
    facts.http = [];
    traceHttpRequests({ request: (entry) => { entry.step = h.step; facts.http.push(entry); } });
    facts.warnings = [];
    const warn = console.warn;
    console.warn = (...a) => { facts.warnings.push(a.map((x) => (x instanceof Error ? x.message : String(x))).join(' ')); warn(...a); };
    const tom = await h.login('Tom', 0);
    const jerry = await h.login('Jerry', 1);
    const bob = await h.login('Bob', 2);
    h.begin('create');
    const group = await tom.createConversation({ members: [jerry.id, bob.id], name: 'notifications', unique: false });
    facts.cid = group.id;
    await h.settle();
    h.begin('roles');
    await group.updateMemberRole(jerry.id, 'Manager');
    await h.settle();
    const jerryGroup = await jerry.getConversation(group.id);
    const infos = await jerryGroup.getAllMemberInfo({ noCache: true });
    facts.memberInfo = infos.map((info) => ({ member: h.name(info.memberId), role: info.role }))
      .sort((a, b) => a.member.localeCompare(b.member));
    h.begin('offline');
    const jerryEntry = h.clients.get('Jerry');
    jerryEntry.realtime.pause();
    await waitUntil(() => h.connections.filter((c) => jerryEntry.conns.has(c.id)).every((c) => c.close !== null),
      10000, "Jerry's WebSocket to close", 25);
    const harry = `Harry-${h.run}`;
    h.idToName.set(harry, 'Harry');
    await group.add([harry]);
    await group.remove([bob.id]);
    const second = await tom.createConversation({ members: [jerry.id], name: 'while away', unique: false });
    facts.secondCid = second.id;
    await h.settle();
    h.begin('reconnect');
    const connectionsBefore = h.connections.length;
    jerryEntry.realtime.resume();
    await h.waitFor('Jerry', (e) => e.step === 'reconnect' && e.event === 'INVITED', 15000, 'INVITED after reconnect');
    await h.settle();
    h.connections.slice(connectionsBefore).forEach((c) => jerryEntry.conns.add(c.id));
    facts.jerryMembersAfter = h.names(jerryGroup.members).slice().sort();
    facts.steps = {};
    for (const step of ['roles', 'offline', 'reconnect']) {
      facts.steps[step] = { events: h.eventsOf(step), pushes: h.pushesOf(step) };
    }
  },

  // --client ID --cid CID: the conversation as this SDK sees it (e.g. one another SDK created).
  async 'read-conversation'(h) {
    const client = await h.login(args.client, 0, args.client);
    h.begin('read');
    const conversation = await client.getConversation(args.cid); // null when the query finds nothing
    const raw = h.wireOf(args.client).filter((f) => f.dir === 'in' && f.op === 'results').map((f) => f.results);
    facts.rawResults = raw.length ? JSON.parse(raw[raw.length - 1]) : null;
    if (!conversation) {
      throw namedError('NOT_FOUND', `conversation ${args.cid} not found`);
    }
    facts.conversation = conversationView(h, conversation);
  },
};

if (!cli.done) main(); // last: the classes and scenario table above must be initialized
