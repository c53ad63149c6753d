// A closed-loop WebSocket echo driver (Node ws client) for bench/ws_echo.sh, until barrage's own
// generator speaks ws://: C connections, each sends a SIZE-byte text message and the next when
// the reply arrives, for SECONDS. Prints the replies received.
// Usage: NODE_PATH=$(tools/npm-path.sh) node bench/ws_echo_driver.js URL C SECONDS SIZE
const WebSocket = require('ws');
const [url, c, seconds, size] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const payload = 'x'.repeat(size);
let replies = 0;
let running = true;
let open = 0;
const sockets = [];
for (let i = 0; i < c; ++i) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  sockets.push(ws);
  ws.on('open', () => {
    if (++open === c) {
      setTimeout(() => {
        running = false;
        console.log(replies);
        for (const s of sockets) s.terminate();
      }, seconds * 1000);
      for (const s of sockets) s.send(payload);
    }
  });
  ws.on('message', () => {
    if (!running) return;
    ++replies;
    ws.send(payload);
  });
  ws.on('error', (e) => {
    console.error(String(e));
    process.exit(1);
  });
}
