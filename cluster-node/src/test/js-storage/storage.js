'use strict';
/*
 * Drives LeanCloud's storage SDK (leancloud-storage, AV.Conversation) with the master key against Parley, next
 * to realtime clients (leancloud-realtime 5.0.0-rc.8) that watch what the app server does:
 *
 *   node storage.js conversation --storage http://127.0.0.1:P --realtime http://127.0.0.1:Q
 *        --app-id ID --app-key KEY --master-key KEY --run SUFFIX [--timeout-ms 30000]
 *   node storage.js usersign --storage <the app's user store> --realtime http://127.0.0.1:Q
 *        --app-id ID --app-key KEY --run SUFFIX [--timeout-ms 30000]     (see usersign below)
 *
 * alice is online on --realtime; AV.Conversation (on --storage) creates a conversation of alice and bob, adds
 * carol, sends a message as "bot", then creates a system conversation and broadcasts in it. alice must get
 * both live; bob logs in afterwards and must see both as unread and in the history. The last stdout line is
 * one JSON object: {"ok":true,"facts":{...}} or {"ok":false,"error":...,"facts":{...}}.
 */
const AV = require('leancloud-storage');
const { Realtime, Event, TextMessage } = require('leancloud-realtime');

function parseArgs(argv) {
  const args = {};
  for (let n = 0; n < argv.length; n++) {
    if (argv[n].startsWith('--')) {
      args[argv[n].slice(2)] = argv[n + 1];
      n++;
    }
  }
  return args;
}

const scenario = process.argv[2];
const args = parseArgs(process.argv.slice(3));
const timeoutMs = Number(args['timeout-ms'] || 30000);
const facts = {};

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves with the first message on `client` that `test` accepts. */
function nextMessage(client, test, what) {
  return within(new Promise((resolve) => {
    const listener = (message, conversation) => {
      if (test(message, conversation)) {
        client.off(Event.MESSAGE, listener);
        resolve({ message, conversation });
      }
    };
    client.on(Event.MESSAGE, listener);
  }), timeoutMs, what);
}

function text(message) {
  return message.text !== undefined ? message.text : message.content && message.content._lctext;
}

async function conversation() {
  const run = args.run;
  const alice = `alice-${run}`;
  const bob = `bob-${run}`;
  const carol = `carol-${run}`;
  const realtime = new Realtime({ appId: args['app-id'], appKey: args['app-key'], server: args.realtime });
  const aliceClient = await within(realtime.createIMClient(alice), timeoutMs, 'alice login');

  AV.init({ appId: args['app-id'], appKey: args['app-key'], masterKey: args['master-key'], serverURL: args.storage });
  const master = { useMasterKey: true };

  const chat = new AV.Conversation(`storage chat ${run}`);
  chat.set('m', [alice, bob]);
  chat.set('topic', 'cheese');
  await chat.save(null, master);
  facts.conversation = chat.id;
  chat.addMember(carol);
  await chat.save(null, master);
  const fetched = await AV.Object.createWithoutData('_Conversation', chat.id).fetch({}, master);
  facts.members = fetched.get('m').slice().sort();
  facts.topic = fetched.get('topic');

  const live = nextMessage(aliceClient, (m, c) => c.id === chat.id, 'the sent message at alice');
  const sent = await chat.send('bot', { _lctype: -1, _lctext: 'hello from the app server' }, {}, master);
  facts.sent = sent;
  const received = await live;
  facts.aliceReceived = { text: text(received.message), from: received.message.from, id: received.message.id };

  const news = new AV.Conversation(`storage news ${run}`, { isSystem: true });
  news.set('m', [alice, bob]);
  await news.save(null, master);
  facts.systemConversation = news.id;
  const liveBroadcast = nextMessage(aliceClient, (m, c) => c.id === news.id, 'the broadcast at alice');
  facts.broadcast = await news.broadcast('bot', { _lctype: -1, _lctext: 'broadcast to all' }, {}, master);
  const broadcast = await liveBroadcast;
  facts.aliceBroadcast = { text: text(broadcast.message), from: broadcast.message.from };

  const unread = {};
  // One Realtime per app and process: bob logs in on alice's connection, for the first time.
  const bobClient = await within(realtime.createIMClient(bob), timeoutMs, 'bob login');
  bobClient.on(Event.UNREAD_MESSAGES_COUNT_UPDATE, (conversations) => {
    conversations.forEach((c) => { unread[c.id] = c.unreadMessagesCount; });
  });
  const deadline = Date.now() + timeoutMs;
  while ((unread[chat.id] === undefined || unread[news.id] === undefined) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  facts.bobUnread = { chat: unread[chat.id], news: unread[news.id] };
  const bobChat = await bobClient.getConversation(chat.id);
  facts.bobHistory = (await bobChat.queryMessages({ limit: 10 })).map(text);
  const bobNews = await bobClient.getConversation(news.id);
  facts.bobNewsHistory = (await bobNews.queryMessages({ limit: 10 })).map(text);

  await aliceClient.close();
  await bobClient.close();
}

/** What an SDK call that failed reports: the fields an app would show or branch on. */
function failure(error) {
  return { code: error.code, message: error.message, appCode: error.appCode };
}

/*
 * usersign: an app whose users are AV.Users logs them in with createIMClient(AV.User), with login signatures
 * required. AV.User.become asks the app's storage (--storage: the stand-in of the engine app) for each user;
 * createIMClient(user) then asks Parley (--realtime) for the login signature, POST /1.1/rtm/sign, which asks
 * the same store and the app's _rtmClientSign. `ally` is allowed and logs in as her objectId; `refused-rex`
 * is refused by the hook; a plain client id without a signature is refused by Parley (4102).
 */
async function usersign() {
  AV.init({ appId: args['app-id'], appKey: args['app-key'], serverURL: args.storage });
  const realtime = new Realtime({ appId: args['app-id'], appKey: args['app-key'], server: args.realtime });
  const ally = await within(AV.User.become('token-ally'), timeoutMs, 'AV.User.become(ally)');
  facts.allyUserId = ally.id;
  const allyClient = await within(realtime.createIMClient(ally), timeoutMs, 'ally login');
  facts.allyClientId = allyClient.id;
  const chat = await allyClient.createConversation({ members: [`friend-${args.run}`], name: 'signed in' });
  const sent = await chat.send(new TextMessage('hello as an AV.User'));
  facts.allySent = { id: sent.id, from: sent.from };
  await allyClient.close();

  const rex = await within(AV.User.become('token-refused'), timeoutMs, 'AV.User.become(rex)');
  facts.rexUserId = rex.id;
  try {
    const rexClient = await within(realtime.createIMClient(rex), timeoutMs, 'rex login');
    facts.rex = { loggedIn: rexClient.id };
  } catch (error) {
    facts.rex = failure(error);
  }
  try {
    const plain = await within(realtime.createIMClient(`plain-${args.run}`), timeoutMs, 'unsigned login');
    facts.unsigned = { loggedIn: plain.id };
  } catch (error) {
    facts.unsigned = failure(error);
  }
}

const scenarios = { conversation, usersign };

(async () => {
  if (!scenarios[scenario]) {
    throw new Error(`unknown scenario ${scenario}; known: ${Object.keys(scenarios)}`);
  }
  await scenarios[scenario]();
  console.log(JSON.stringify({ ok: true, facts }));
  process.exit(0);
})().catch((error) => {
  console.error(error && error.stack || error);
  console.log(JSON.stringify({ ok: false, error: { name: error.name, code: error.code, message: error.message }, facts }));
  process.exit(1);
});
