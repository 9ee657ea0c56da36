// A stand-in WebDAV worker for the pool's tests: it greets, claims to listen after the first state it gets, and
// never confirms a later one — what a worker stuck in a long synchronous task looks like to the agent process.

let listening = false;
process.on('message', (message) => {
  if (message?.type !== 'gate' || listening) return;
  listening = true;
  process.send({ type: 'applied', seq: message.seq });
  process.send({ type: 'listening', address: '127.0.0.1', family: 'IPv4', port: 1 });
});
process.send({ type: 'hello' });
// Stays alive until killed; the pool's stop message is ignored too.
setInterval(() => undefined, 60_000);
