// The container health check (copied to dist/deploy/healthcheck.js by the build; the image has no curl):
//   node dist/deploy/healthcheck.js <port> [path]
// exits 0 when http://127.0.0.1:<port><path> (default /health/ready) answers 200 within 3 s, else 1.
const http = require('node:http');

const port = Number(process.argv[2]);
const route = process.argv[3] ?? '/health/ready';
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  process.stderr.write('usage: node healthcheck.js <port> [path]\n');
  process.exit(2);
}
const request = http.get({ host: '127.0.0.1', port, path: route, timeout: 3_000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (error) => {
  process.stderr.write(`healthcheck: ${error.message}\n`);
  process.exit(1);
});
