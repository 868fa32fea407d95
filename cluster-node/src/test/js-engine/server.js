/*
 * A real LeanEngine app (leanengine 3.8.0 on leancloud-storage 4.15.2) that defines every realtime hook with
 * AV.Cloud.define, as a migrating app's cloud code does; HooksIT starts it on loopback and points Parley at it.
 *
 *   PORT=P LEANCLOUD_APP_ID=.. LEANCLOUD_APP_KEY=.. LEANCLOUD_APP_MASTER_KEY=.. LEANCLOUD_APP_HOOK_KEY=..
 *   LEANCLOUD_API_SERVER=http://127.0.0.1:<dead port> node server.js
 *
 * Every call is recorded ({hook, params, at}) and served at GET /calls (the test's evidence). What a hook
 * returns depends on the request, so one app serves every case:
 *   _messageReceived   text containing `hook:drop`      -> {drop: true, code: 7402, detail: 'dropped by the app'}
 *                      text containing `hook:rewrite`   -> content with `hook:rewrite` replaced by `rewritten by the app`
 *                      text containing `hook:reroute=X` -> {toPeers: [X]}
 *   _receiversOffline  -> {pushMessage: {alert: 'New message', badge: 'Increment'}}
 *   _conversationStart attr.name `forbidden`            -> {reject: true, code: 7305, detail: 'the app says no'}
 *                      attr.name `rename-me`            -> {attr: {...attr, name: 'renamed by the app'}}
 *   _conversationAdd   a member id starting `Banned`    -> {reject: true, code: 7306, detail: 'banned'}
 *   _conversationUpdate attr.name `rename-me`           -> {attr: {...attr, name: 'renamed by the app'}}
 *   _messageUpdate     text containing `hook:deny`      -> {drop: true, code: 7405, detail: 'no edits'}
 *   _rtmClientSign     username starting `refused`      -> false (refuse to sign)
 *                      username starting `broken`       -> throws (HTTP 500, a failed hook)
 *                      any other user                   -> true
 *   every other call   -> {}
 * It never calls anything outside loopback: its API server is the dead port above.
 *
 * GET /1.1/users/me stands in for the app's storage service (LeanCloud's `_User` store, which goes away with
 * LeanCloud; Parley asks the app's own store, here this stand-in): with the app's X-LC-Id and X-LC-Key (or the
 * storage SDK's X-LC-Sign) and an X-LC-Session of USERS below it answers that `_User` as LeanCloud's storage did;
 * an unknown session token gets 400 {code: 211}, wrong app keys 401, and `token-hang` no answer at all.
 */
'use strict';

const crypto = require('crypto');
const http = require('http');
const AV = require('leanengine');

for (const name of ['PORT', 'LEANCLOUD_APP_ID', 'LEANCLOUD_APP_KEY', 'LEANCLOUD_APP_MASTER_KEY', 'LEANCLOUD_APP_HOOK_KEY',
  'LEANCLOUD_API_SERVER']) {
  if (!process.env[name]) {
    console.error(`${name} is required`);
    process.exit(2);
  }
}

AV.init({
  appId: process.env.LEANCLOUD_APP_ID,
  appKey: process.env.LEANCLOUD_APP_KEY,
  masterKey: process.env.LEANCLOUD_APP_MASTER_KEY,
  hookKey: process.env.LEANCLOUD_APP_HOOK_KEY,
  serverURLs: process.env.LEANCLOUD_API_SERVER,
});

const calls = [];

/** The app's users by session token, in the shape LeanCloud's storage answered GET /1.1/users/me. */
const USERS = {};
for (const [token, objectId, username] of [
  ['token-ally', '5fb4ff18d0deed36ea501c8a', 'ally'],
  ['token-refused', '5fb4ff18d0deed36ea501c8b', 'refused-rex'],
  ['token-broken', '5fb4ff18d0deed36ea501c8c', 'broken-bo'],
]) {
  USERS[token] = {
    objectId, username, sessionToken: token, email: `${username}@example.com`, emailVerified: true,
    mobilePhoneNumber: '', mobilePhoneVerified: false, createdAt: '2017-07-11T07:58:10.149Z',
    updatedAt: '2017-07-11T07:58:10.149Z',
  };
}

function record(hook, request) {
  calls.push({ hook, params: request.params, at: Date.now() });
}

AV.Cloud.define('_messageReceived', (request) => {
  record('_messageReceived', request);
  const content = String(request.params.content || '');
  if (content.includes('hook:drop')) return { drop: true, code: 7402, detail: 'dropped by the app' };
  if (content.includes('hook:rewrite')) return { content: content.replace('hook:rewrite', 'rewritten by the app') };
  const reroute = /hook:reroute=([A-Za-z0-9_-]+)/.exec(content);
  if (reroute) return { toPeers: [reroute[1]] };
  return {};
});

AV.Cloud.define('_receiversOffline', (request) => {
  record('_receiversOffline', request);
  return { pushMessage: { alert: 'New message', badge: 'Increment' } };
});

AV.Cloud.define('_conversationStart', (request) => {
  record('_conversationStart', request);
  const attr = request.params.attr || {};
  if (attr.name === 'forbidden') return { reject: true, code: 7305, detail: 'the app says no' };
  if (attr.name === 'rename-me') return { attr: Object.assign({}, attr, { name: 'renamed by the app' }) };
  return {};
});

AV.Cloud.define('_conversationAdd', (request) => {
  record('_conversationAdd', request);
  if ((request.params.members || []).some((m) => String(m).startsWith('Banned'))) {
    return { reject: true, code: 7306, detail: 'banned' };
  }
  return {};
});

AV.Cloud.define('_conversationUpdate', (request) => {
  record('_conversationUpdate', request);
  const attr = request.params.attr;
  if (attr && attr.name === 'rename-me') return { attr: Object.assign({}, attr, { name: 'renamed by the app' }) };
  return {};
});

AV.Cloud.define('_messageUpdate', (request) => {
  record('_messageUpdate', request);
  if (String(request.params.content || '').includes('hook:deny')) return { drop: true, code: 7405, detail: 'no edits' };
  return {};
});

AV.Cloud.define('_rtmClientSign', (request) => {
  record('_rtmClientSign', request);
  const username = String(request.params.username || '');
  if (username.startsWith('refused')) return false;
  if (username.startsWith('broken')) throw new AV.Cloud.Error('the engine broke', { status: 500 });
  return true;
});

for (const hook of ['_messageSent', '_conversationStarted', '_conversationAdded', '_conversationRemove',
  '_conversationRemoved', '_clientOnline', '_clientOffline']) {
  AV.Cloud.define(hook, (request) => {
    record(hook, request);
    return {};
  });
}

const engine = AV.express();
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/calls') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(calls));
    return;
  }
  if (req.method === 'GET' && req.url.split('?')[0] === '/1.1/users/me') {
    usersMe(req, res);
    return;
  }
  engine(req, res);
});

function json(res, status, body) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/** The stand-in user store: LeanCloud storage's GET /1.1/users/me (AV.User.become). */
function usersMe(req, res) {
  const key = process.env.LEANCLOUD_APP_KEY;
  const sign = String(req.headers['x-lc-sign'] || '').split(',');
  const signed = sign.length === 2 && crypto.createHash('md5').update(sign[1] + key).digest('hex') === sign[0];
  if (req.headers['x-lc-id'] !== process.env.LEANCLOUD_APP_ID || !(req.headers['x-lc-key'] === key || signed)) {
    json(res, 401, { code: 401, error: 'Unauthorized.' });
    return;
  }
  const token = req.headers['x-lc-session'];
  calls.push({ hook: 'users/me', params: { sessionToken: token }, at: Date.now() });
  if (token === 'token-hang') return; // never answers: the caller's timeout must end the call
  if (USERS[token]) json(res, 200, USERS[token]);
  else json(res, 400, { code: 211, error: 'Could not find user.' });
}
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${process.env.PORT}`);
});
