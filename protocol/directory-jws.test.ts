import { CompactSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateDer } from '../certs/index.ts';
import {
  createTestPki,
  demoDirectory,
  type IssuedCredential,
  type TestPki,
} from '../tests/support/directory-fixture.ts';
import { signDirectory, verifyDirectory } from './index.ts';

const now = new Date();
let pki: TestPki;
let signer: IssuedCredential;

beforeAll(async () => {
  pki = await createTestPki();
  signer = await pki.issue({ profile: 'directory', subject: 'CN=DEMO directory signer', now: new Date() });
});

const chain = () => [signer.certificate, pki.issuing.certificate];
const sign = (version = 5, issuedAt = now) =>
  signDirectory(demoDirectory({ version, issuedAt }), { privateKey: signer.keys.privateKey, chain: chain() });

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'accepted';
}

describe('verifyDirectory', () => {
  it('returns the directory signed by the registry', async () => {
    const directory = await verifyDirectory(await sign(), {
      anchor: pki.root.certificate,
      held: { version: 4 },
      now,
    });
    expect(directory.version).toBe(5);
    expect(directory.members.map((m) => m.id)).toContain('DEMO/GOV/munich');
  });

  it('accepts the same version again', async () => {
    const directory = await verifyDirectory(await sign(5), {
      anchor: pki.root.certificate,
      held: { version: 5 },
      now,
    });
    expect(directory.version).toBe(5);
  });

  it('refuses a directory with one flipped byte in the payload', async () => {
    const [header, payload, signature] = (await sign()).split('.');
    const bytes = Buffer.from(payload!, 'base64url');
    const at = bytes.indexOf('munich');
    bytes[at] = bytes[at]! ^ 0x01;
    const tampered = `${header}.${bytes.toString('base64url')}.${signature}`;
    expect(await refusal(verifyDirectory(tampered, { anchor: pki.root.certificate, now }))).toBe(
      'Directory.InvalidSignature',
    );
  });

  it('refuses a directory with one flipped byte in the signature', async () => {
    const [header, payload, signature] = (await sign()).split('.');
    const bytes = Buffer.from(signature!, 'base64url');
    bytes[10] = bytes[10]! ^ 0x80;
    const tampered = `${header}.${payload}.${bytes.toString('base64url')}`;
    expect(await refusal(verifyDirectory(tampered, { anchor: pki.root.certificate, now }))).toBe(
      'Directory.InvalidSignature',
    );
  });

  it('refuses a directory signed by a key outside the anchor chain', async () => {
    const foreign = await createTestPki('EVIL');
    const impostor = await foreign.issue({
      profile: 'directory',
      subject: 'CN=EVIL directory',
      now: new Date(),
    });
    const jws = await signDirectory(demoDirectory({ version: 99, issuedAt: now }), {
      privateKey: impostor.keys.privateKey,
      chain: [impostor.certificate, foreign.issuing.certificate],
    });
    expect(await refusal(verifyDirectory(jws, { anchor: pki.root.certificate, now }))).toBe(
      'Directory.UntrustedSigner',
    );
  });

  it('refuses a federation certificate that is not a directory-signing one', async () => {
    const member = await pki.issue({
      profile: 'signing',
      subject: 'CN=DEMO/GOV/munich',
      member: 'DEMO/GOV/munich',
      now: new Date(),
    });
    const jws = await signDirectory(demoDirectory({ version: 6, issuedAt: now }), {
      privateKey: member.keys.privateKey,
      chain: [member.certificate, pki.issuing.certificate],
    });
    expect(await refusal(verifyDirectory(jws, { anchor: pki.root.certificate, now }))).toBe(
      'Directory.UntrustedSigner',
    );
  });

  it('refuses an x5c that names the real signer over a signature by another key', async () => {
    const other = await pki.issue({ profile: 'directory', subject: 'CN=DEMO other signer', now: new Date() });
    const jws = await signDirectory(demoDirectory({ version: 6, issuedAt: now }), {
      privateKey: other.keys.privateKey,
      chain: chain(),
    });
    expect(await refusal(verifyDirectory(jws, { anchor: pki.root.certificate, now }))).toBe(
      'Directory.InvalidSignature',
    );
  });

  it('refuses an older version than the one held', async () => {
    expect(
      await refusal(
        verifyDirectory(await sign(4), { anchor: pki.root.certificate, held: { version: 5 }, now }),
      ),
    ).toBe('Directory.VersionRollback');
  });

  it('refuses an expired directory', async () => {
    const later = new Date(now.getTime() + 600_001);
    expect(await refusal(verifyDirectory(await sign(), { anchor: pki.root.certificate, now: later }))).toBe(
      'Directory.Expired',
    );
  });

  it('refuses input that is not a signed directory as Malformed', async () => {
    const x5c = chain().map((cert) => Buffer.from(certificateDer(cert)).toString('base64'));
    const signedJunk = await new CompactSign(new TextEncoder().encode('{"version": "x"}'))
      .setProtectedHeader({ alg: 'ES256', typ: 'einmal-directory+jws', x5c })
      .sign(signer.keys.privateKey);
    const wrongType = await new CompactSign(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
      .sign(signer.keys.privateKey);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"einmal-directory+jws"}').toString('base64url')}.e30.`;
    for (const input of ['', 'not a jws', 'a.b.c', unsigned, wrongType, signedJunk, `${'x'.repeat(70)}..`]) {
      expect(await refusal(verifyDirectory(input, { anchor: pki.root.certificate, now }))).toBe(
        'Directory.Malformed',
      );
    }
  });
});
