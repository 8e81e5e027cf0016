/**
 * The cluster's certificates and tokens, created on first start and reused afterwards:
 * a CA, a server certificate signed by it with SANs for this host, and an admin bearer token.
 */
// @peculiar/x509 resolves its ASN.1 types through tsyringe, which needs a Reflect metadata
// polyfill loaded before it.
import 'reflect-metadata';
import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const caValidityDays = 3650;
const serverValidityDays = 365;

/** PEM material the HTTPS listener and clients need. */
export interface ServerPki {
  readonly caCertPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** Where the files live, for the kubeconfig and the log. */
  readonly caCertPath: string;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]!;
  return webcrypto.subtle.importKey('pkcs8', der, keyAlgorithm, true, ['sign']);
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * 86_400_000);
}

/** The host's DNS names and IP addresses plus loopback, then `extra` (from `--tls-san`). */
export function defaultSans(extra: readonly string[]): string[] {
  const sans = new Set<string>([
    'localhost',
    '127.0.0.1',
    hostname(),
    'kubernetes',
    'kubernetes.default',
    '10.96.0.1',
  ]);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') sans.add(a.address);
  }
  for (const s of extra) if (s.trim() !== '') sans.add(s.trim());
  return [...sans].sort();
}

function isIp(s: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(':');
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=navarch-ca',
    notBefore: daysFromNow(-1),
    notAfter: daysFromNow(caValidityDays),
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

async function createServerCert(
  caCertPem: string,
  caKeyPem: string,
  sans: readonly string[],
): Promise<{ certPem: string; keyPem: string }> {
  const ca = new x509.X509Certificate(caCertPem);
  const caKey = await importKeyPem(caKeyPem);
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=navarch-apiserver',
    issuer: ca.subject,
    notBefore: daysFromNow(-1),
    notAfter: daysFromNow(serverValidityDays),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sans.map((s) => ({ type: isIp(s) ? 'ip' : 'dns', value: s }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

async function writePrivate(path: string, data: string): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600);
}

/**
 * Loads the PKI from `dataDir/pki`, creating what is missing. The server certificate is
 * re-issued from the same CA when the wanted SANs are not all in it (a new `--tls-san`).
 */
export async function ensurePki(dataDir: string, sans: readonly string[]): Promise<ServerPki> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCertPath = join(dir, 'ca.crt');
  const caKeyPath = join(dir, 'ca.key');
  if (!existsSync(caCertPath) || !existsSync(caKeyPath)) {
    const ca = await createCa();
    await writePrivate(caKeyPath, ca.keyPem);
    await writeFile(caCertPath, ca.certPem);
  }
  const caCertPem = await readFile(caCertPath, 'utf8');
  const caKeyPem = await readFile(caKeyPath, 'utf8');
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  const sansPath = join(dir, 'server-sans.json');
  let current: string[] = [];
  if (existsSync(sansPath)) current = JSON.parse(await readFile(sansPath, 'utf8')) as string[];
  const missing = sans.some((s) => !current.includes(s));
  if (!existsSync(certPath) || !existsSync(keyPath) || missing) {
    const all = [...new Set([...current, ...sans])].sort();
    const server = await createServerCert(caCertPem, caKeyPem, all);
    await writePrivate(keyPath, server.keyPem);
    await writeFile(certPath, server.certPem);
    await writeFile(sansPath, JSON.stringify(all));
  }
  return {
    caCertPem,
    serverCertPem: await readFile(certPath, 'utf8'),
    serverKeyPem: await readFile(keyPath, 'utf8'),
    caCertPath,
  };
}

/** A bearer token and the user it authenticates. */
export interface TokenEntry {
  readonly token: string;
  readonly user: string;
  readonly groups: readonly string[];
}

/** Loads `dataDir/tokens.json`, creating it with one admin token on first start. */
export async function ensureTokens(dataDir: string): Promise<TokenEntry[]> {
  const path = join(dataDir, 'tokens.json');
  if (!existsSync(path)) {
    const admin: TokenEntry = {
      token: randomBytes(24).toString('hex'),
      user: 'admin',
      groups: ['system:masters'],
    };
    await writePrivate(path, `${JSON.stringify([admin], null, 2)}\n`);
  }
  return JSON.parse(await readFile(path, 'utf8')) as TokenEntry[];
}

/**
 * SHA-256 of a token. Node's one-shot `crypto.hash` (20.12 and later) costs a fraction of a
 * `createHash` object and stream per call, and every request authenticates; older Node.js
 * versions take the stream form.
 */
const sha256: (s: string) => Buffer =
  typeof nodeCrypto.hash === 'function'
    ? (s) => nodeCrypto.hash('sha256', s, 'buffer')
    : (s) => createHash('sha256').update(s).digest();

/** Bearer-token authentication in constant time per candidate. */
export class TokenAuthenticator {
  private readonly digests: { digest: Buffer; entry: TokenEntry }[];

  constructor(tokens: readonly TokenEntry[]) {
    this.digests = tokens.map((entry) => ({ digest: sha256(entry.token), entry }));
  }

  /** The user for an `Authorization` header value, or undefined. */
  authenticate(header: string | undefined): TokenEntry | undefined {
    if (header === undefined) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    const digest = sha256(m[1]!);
    for (const d of this.digests) if (timingSafeEqual(d.digest, digest)) return d.entry;
    return undefined;
  }
}

/** Writes a standard kubeconfig for `server` with the CA embedded; returns the path. */
export async function writeAdminKubeconfig(
  dataDir: string,
  serverUrl: string,
  caCertPem: string,
  token: string,
): Promise<string> {
  const path = join(dataDir, 'admin.kubeconfig');
  const ca = Buffer.from(caCertPem).toString('base64');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: navarch',
    '  cluster:',
    `    server: ${serverUrl}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: navarch',
    '  context:',
    '    cluster: navarch',
    '    user: admin',
    '    namespace: default',
    'current-context: navarch',
    'preferences: {}',
    '',
  ].join('\n');
  await writePrivate(path, text);
  return path;
}
