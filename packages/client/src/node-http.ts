/** `node:http` behind a module of our own, loaded on first use (see node-https.ts). */
export { Agent, request } from 'node:http';
