// Forks the check-in load generator (load-generator.mjs) and asks it one thing at a time over IPC.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export function startGenerator() {
  const child = fork(path.join(HERE, 'load-generator.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting;
  child.on('message', (msg) => {
    const w = waiting;
    waiting = undefined;
    if (msg.type === 'error') w?.reject(new Error(`load generator: ${msg.message}`));
    else w?.resolve(msg);
  });
  child.once('exit', (code) => waiting?.reject(new Error(`load generator exited with ${code}`)));
  return {
    child,
    ask: (msg) =>
      new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        child.send(msg);
      }),
    close: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.send({ type: 'exit' })))),
  };
}
