import { spawn } from 'node:child_process';
const t = Date.now();
console.log(process.env.NODE_OPTIONS, process.execArgv);
const c = spawn(process.execPath, ['/work/main/packages/navarch/dist/main.js', 'store', '--name', 's0', '--data-dir', '/tmp/e2/u2/d', '--listen-client-urls', 'http://127.0.0.1:24791', '--listen-peer-urls', 'http://127.0.0.1:24801'], { stdio: ['ignore', 'inherit', 'inherit'], uid: 61000, gid: 61000, env: { PATH: process.env.PATH, HOME: '/tmp/e2/u2' } });
setTimeout(() => { console.log('elapsed', Date.now() - t); c.kill('SIGKILL'); }, 8000);
