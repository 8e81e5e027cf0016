/**
 * Name and label syntax checks from k8s.io/apimachinery/pkg/util/validation, returning the
 * same messages (an empty list means valid). Used by object validation and by selector
 * parsing.
 */

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const DNS1035_LABEL_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME_RE = /^[-a-z0-9]+$/;
const HAS_LETTER_RE = /[a-z]/;
const ENV_VAR_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_MAP_KEY_RE = /^[-._a-zA-Z0-9]+$/;

/** Longest DNS-1123 label / DNS-1035 label / label value / qualified-name name part. */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** Longest DNS-1123 subdomain (and most object names). */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

function regexError(message: string, examples: string[], regex: string): string {
  const eg = examples.map((example) => `'${example}'`).join(',  or ');
  return `${message} (e.g. ${eg}, regex used for validation is '${regex}')`;
}

/** RFC 1123 label: lower-case alphanumerics and '-', at most 63 characters. */
export function isDNS1123Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH)
    errors.push(`must be no more than ${DNS1123_LABEL_MAX_LENGTH} characters`);
  if (!DNS1123_LABEL_RE.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ['my-name', '123-abc'],
        DNS1123_LABEL,
      ),
    );
  }
  return errors;
}

/** RFC 1123 subdomain: dot-separated labels, at most 253 characters. */
export function isDNS1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH)
    errors.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`);
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ['example.com'],
        `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`,
      ),
    );
  }
  return errors;
}

/** RFC 1035 label: like a 1123 label but must start with a letter (Service names). */
export function isDNS1035Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH)
    errors.push(`must be no more than ${DNS1123_LABEL_MAX_LENGTH} characters`);
  if (!DNS1035_LABEL_RE.test(value)) {
    errors.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        ['my-name', 'abc-123'],
        '[a-z]([-a-z0-9]*[a-z0-9])?',
      ),
    );
  }
  return errors;
}

/** Names that are valid URL path segments (HPA names): not `.`/`..`, no `/` or `%`. */
export function isPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errors: string[] = [];
  for (const bad of ['/', '%']) if (value.includes(bad)) errors.push(`may not contain '${bad}'`);
  return errors;
}

/**
 * A name checker as ValidateObjectMeta uses it. With `prefix` true the value is a
 * generateName prefix: a trailing '-' is allowed because a random suffix follows.
 */
export type NameValidator = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** Object names that must be DNS-1123 subdomains (most kinds). */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** Object names that must be DNS-1123 labels (Namespace). */
export const nameIsDNSLabel: NameValidator = (name, prefix) =>
  isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** Object names that must be DNS-1035 labels (Service). */
export const nameIsDNS1035Label: NameValidator = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);
/** Object names that need only be path segments (HorizontalPodAutoscaler). */
export const nameIsPathSegment: NameValidator = (name) => isPathSegmentName(name);

/**
 * Qualified name: `[prefix/]name` where prefix is a DNS subdomain and name is at most 63
 * alphanumerics, '-', '_' or '.'. Label keys and annotation keys use this.
 */
export function isQualifiedName(value: string): string[] {
  const errors: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const [prefix = '', rest = ''] = parts;
    name = rest;
    if (prefix.length === 0) errors.push('prefix part must be non-empty');
    else for (const message of isDNS1123Subdomain(prefix)) errors.push(`prefix part ${message}`);
  } else {
    return [
      `${regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ['MyName', 'my.name', '123-abc'],
        '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]',
      )} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errors.push('name part must be non-empty');
  else if (name.length > DNS1123_LABEL_MAX_LENGTH)
    errors.push(`name part must be no more than ${DNS1123_LABEL_MAX_LENGTH} characters`);
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name)) {
    errors.push(
      regexError(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ['MyName', 'my.name', '123-abc'],
        '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]',
      ),
    );
  }
  return errors;
}

/** Label value: empty, or at most 63 alphanumerics, '-', '_' or '.' starting and ending alphanumeric. */
export function isValidLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH)
    errors.push(`must be no more than ${DNS1123_LABEL_MAX_LENGTH} characters`);
  if (!LABEL_VALUE_RE.test(value)) {
    errors.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ['MyValue', 'my_value', '12345'],
        '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?',
      ),
    );
  }
  return errors;
}

/** IANA service name (named ports): at most 15 lower-case alphanumerics and '-', with a letter, no '--'. */
export function isValidPortName(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 15) errors.push('must be no more than 15 characters');
  if (!IANA_SVC_NAME_RE.test(value))
    errors.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (value.includes('--')) errors.push('must not contain consecutive hyphens');
  if (value.length > 0 && !HAS_LETTER_RE.test(value)) errors.push('must contain at least one letter (a-z)');
  if (value.startsWith('-') || value.endsWith('-')) errors.push('must not begin or end with a hyphen');
  return errors;
}

/** Port number: 1..65535. */
export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535
    ? []
    : ['must be between 1 and 65535, inclusive'];
}

/** Environment variable name (C identifier-ish, dots and dashes allowed as in Kubernetes). */
export function isEnvVarName(value: string): string[] {
  if (ENV_VAR_NAME_RE.test(value)) return [];
  return [
    regexError(
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
      ['my.env-name', 'MY_ENV.NAME', 'MyEnvName1'],
      '[-._a-zA-Z][-._a-zA-Z0-9]*',
    ),
  ];
}

/** ConfigMap/Secret data key: alphanumerics, '-', '_' or '.', at most 253 characters, not `.`/`..`. */
export function isConfigMapKey(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH)
    errors.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`);
  if (!CONFIG_MAP_KEY_RE.test(value)) {
    errors.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        ['key.name', 'KEY_NAME', 'key-name'],
        '[-._a-zA-Z0-9]+',
      ),
    );
  }
  if (value === '.') errors.push("must not be '.'");
  else if (value === '..') errors.push("must not be '..'");
  else if (value.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** IPv4 dotted quad without leading zeros. */
export function isIPv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}

/** IPv4 or IPv6 address (IPv6 checked loosely: hex groups and at most one `::`). */
export function isIP(value: string): boolean {
  if (isIPv4(value)) return true;
  if (!value.includes(':') || !/^[0-9a-fA-F:.]+$/.test(value)) return false;
  const doubles = value.split('::').length - 1;
  if (doubles > 1) return false;
  const groups = value.split(':').filter((group) => group !== '');
  return groups.length <= 8 && groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group) || isIPv4(group));
}
