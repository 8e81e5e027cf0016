/**
 * How the images script reads the Debian mirror from the host's apt sources (it is never
 * hard-coded): deb822 parsing, and keeping only Debian's own bookworm archives.
 */
import { describe, expect, it } from 'vitest';
import { debianMirror, debianSources, parseDeb822Sources } from '../../scripts/images/inputs.mjs';

const deb822 = `Types: deb deb-src
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Enabled: no

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe('apt sources for the image builds', () => {
  it('parses deb822 stanzas into one-line entries, skipping deb-src and disabled ones', () => {
    expect(parseDeb822Sources(deb822)).toEqual([
      'deb http://mirror.example/debian bookworm main contrib',
      'deb http://mirror.example/debian bookworm-updates main contrib',
      'deb http://mirror.example/debian-security bookworm-security main',
    ]);
  });

  it('keeps Debian bookworm archives and drops third-party repositories', () => {
    const sources = [
      ...parseDeb822Sources(deb822),
      'deb https://download.docker.com/linux/debian bookworm stable',
      'deb https://deb.nodesource.com/node_20.x nodistro main',
    ];
    expect(debianSources(sources)).toEqual(parseDeb822Sources(deb822));
  });

  it('takes the debootstrap mirror from the bookworm main-archive entry', () => {
    expect(
      debianMirror([
        'deb http://security.example/debian-security bookworm-security main',
        'deb http://mirror.example/debian bookworm main',
      ]),
    ).toBe('http://mirror.example/debian');
    expect(() => debianMirror(['deb https://download.docker.com/linux/debian bookworm stable'])).toThrow(
      /NAVARCH_ERR_NO_APT_MIRROR/,
    );
  });
});
