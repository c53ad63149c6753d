// A WebSocket echo server on the Node `ws` package (npm ws@8.18.0, installed by
// tools/install-deps.sh into .npm-tools/; NODE_PATH=$(tools/npm-path.sh)), for
// ws_generator_test.py: 127.0.0.1, a port of the kernel's choice printed on stdout.
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => console.log(wss.address().port));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
