// The Node `ws` package's echo server (npm ws@8.18.0), for bench/ws_echo.sh: every message back
// as it came. Usage: NODE_PATH=$(tools/npm-path.sh) node bench/ws_echo_server.js PORT
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => console.log('listening'));
