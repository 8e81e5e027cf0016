/**
 * `node:https` behind a module of our own, so the transport can load it on first use: the bundled
 * navctl turns an import of a bundled module into a lazy initialiser, where an import of a Node
 * built-in would stay a real dynamic import (which a cached compile cannot replay).
 */
export { Agent, request } from 'node:https';
