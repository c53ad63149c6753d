// The Node `ws` package (npm ws@8.18.0) as a client of `barrage serve`'s WebSocket routes, for
// server_websocket_test.py. Usage: node ws_node_client.js URL_BASE [CA_FILE]
// Prints one JSON line with what it saw; the Python side checks it.
const WebSocket = require('ws');
const fs = require('fs');

const base = process.argv[2];
const ca = process.argv[3] ? fs.readFileSync(process.argv[3]) : undefined;
const opts = ca ? { ca } : {};
const out = {};

function open(path) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base + path, opts);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
function next(ws) {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));
}
function closed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function main() {
  const ws = await open('/ws/echo');
  ws.send('héllo');
  let m = await next(ws);
  out.text = { data: m.data.toString(), binary: m.isBinary };
  ws.send(Buffer.from([0, 1, 2, 255]));
  m = await next(ws);
  out.binary = { hex: m.data.toString('hex'), binary: m.isBinary };
  // A message in three fragments: one message comes back.
  ws.send('frag', { fin: false });
  ws.send('ment', { fin: false });
  ws.send('ed', { fin: true });
  m = await next(ws);
  out.fragmented = m.data.toString();
  const pong = new Promise((resolve) => ws.once('pong', (data) => resolve(data.toString())));
  ws.ping('are you there');
  out.pong = await pong;
  const big = Buffer.alloc(3000, 0x41);
  const tooBig = closed(ws);
  ws.send(big);
  out.too_big = await tooBig;

  const ws2 = await open('/ws/echo');
  const c2 = closed(ws2);
  ws2.close(1000, 'done');
  out.normal = await c2;

  const feed = await open('/ws/feed?interval=10ms&size=16');
  const got = [];
  await new Promise((resolve) => {
    feed.on('message', (data) => {
      got.push(data.toString());
      if (got.length === 5) resolve();
    });
  });
  out.feed = got;
  const c3 = closed(feed);
  feed.close(1000);
  out.feed_close = await c3;
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.log(JSON.stringify({ error: String(e) }));
  process.exit(1);
});
