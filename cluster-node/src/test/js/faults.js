#!/usr/bin/env node
/*
 * Parley fault-test client: one unmodified official LeanCloud realtime SDK client that keeps chatting while a
 * fault test breaks the cluster (cluster-node/src/test/java/io/parley/node/faults). It sends one text message
 * every --interval-ms to its conversations in turn, resends a failed message (the same Message object, so the
 * same `dt`, as an app's "resend" button does) once the SDK is connected again, records every push it gets and
 * every disconnect/reconnect of the SDK, and at the end reads each conversation's history.
 *
 *   node faults.js chat --sdk 4|5 --app-id ID --app-key KEY --rtm ws://A/,ws://B/,ws://C/ --id CLIENT
 *        --cids CID,CID [--interval-ms 300] [--duration-ms 40000] --ready-file PATH [--timeout-ms N]
 *
 * The SDK gets every --rtm URL as RTMServers: it picks one, and on a lost connection reconnects (after its own
 * back-off) to the next one that answers. Once logged in and in its conversations the script writes
 * {"url": <the node it is on>} to --ready-file (the test kills that node).
 *
 * stdout: one line, {"ok":true, acked:[{text,cid,id,t,at}], attempts:[{text,outcome,ms,at}],
 *         received:[{text,cid,id,at}], history:{cid:[text]}, disconnects:[at], reconnects:[at]}.
 */
'use strict';

const fs = require('fs');
const { Cli, sleep, restBase, sdkPackage, traceWebSockets, errorJson } = require('./lib/harness');

const cli = new Cli({
  script: 'faults.js',
  booleans: ['debug'],
  scenarios: ['chat'],
  check(args) {
    for (const required of ['rtm', 'id', 'cids', 'ready-file']) {
      if (!args[required]) throw new Error(`--${required} is required`);
    }
  },
});

if (!cli.done) main();

function main() {
  const { args, facts } = cli;
  const interval = Number(args['interval-ms'] || 300);
  const duration = Number(args['duration-ms'] || 40000);
  cli.guard({ timeoutMs: duration + 120000 });
  const sdk = sdkPackage(args.sdk);
  let current = null;
  traceWebSockets(sdk, {
    connect: (ws, address) => {
      ws.on('open', () => { current = String(address); });
      return {};
    },
    frame: () => {},
  });
  const { Realtime, TextMessage, Event } = require(sdk.main);
  const urls = args.rtm.split(',').map((s) => s.trim()).filter(Boolean);
  let server = restBase(undefined, urls[0]);
  if (args.sdk === '4') server = server.replace(/^[a-z]+:\/\//i, '');
  const realtime = new Realtime({ appId: args['app-id'], appKey: args['app-key'], RTMServers: urls, server,
    ssl: false });
  Object.assign(facts, { acked: [], attempts: [], received: [], history: {}, disconnects: [], reconnects: [] });
  let online = false;

  (async () => {
    const client = await realtime.createIMClient(args.id);
    online = true;
    client.on(Event.DISCONNECT, () => { online = false; facts.disconnects.push(Date.now()); });
    client.on(Event.RECONNECT, () => { online = true; facts.reconnects.push(Date.now()); });
    client.on(Event.MESSAGE, (message, conversation) => {
      facts.received.push({ text: message.text !== undefined ? message.text : message.content, cid: conversation.id, id: message.id, at: Date.now() });
    });
    const conversations = [];
    for (const cid of args.cids.split(',')) conversations.push(await client.getConversation(cid));
    fs.writeFileSync(args['ready-file'], JSON.stringify({ url: current }));

    const end = Date.now() + duration;
    for (let n = 0; Date.now() < end; n++) {
      const conversation = conversations[n % conversations.length];
      const message = new TextMessage(`${args.id}#${n}`);
      for (let attempt = 0; attempt < 20; attempt++) {
        while (!online) await sleep(100);
        const start = Date.now();
        try {
          await conversation.send(message);
          facts.attempts.push({ text: message.text, outcome: 'acked', ms: Date.now() - start, at: start });
          facts.acked.push({ text: message.text, cid: conversation.id, id: message.id, t: message.timestamp.getTime(),
            at: Date.now() });
          break;
        } catch (e) {
          const error = errorJson(e);
          facts.attempts.push({ text: message.text, outcome: `failed ${error.code}`, ms: Date.now() - start, at: start });
          await sleep(500);
        }
      }
      await sleep(interval);
    }
    await sleep(3000);
    for (const conversation of conversations) {
      const texts = [];
      const iterator = conversation.createMessagesIterator({ limit: 100 });
      for (;;) {
        const page = await iterator.next();
        page.value.forEach((m) => texts.push(m.text !== undefined ? m.text : m.content));
        if (page.done) break;
      }
      facts.history[conversation.id] = texts;
    }
    await client.close();
  })().then(() => cli.finish(true), (e) => cli.finish(false, e));
}
