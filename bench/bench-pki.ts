import {
  createCsr,
  createIssuingCa,
  createRootCa,
  generateKeyPair,
  issueCertificate,
  toPem,
} from '../certs/index.ts';
import { parseMemberId } from '../schemas/index.ts';

/**
 * The PKI of an audit benchmark run, made at start: root, issuing CA, one member's signing key and
 * the witness's key, each with its x5c chain (base64 DER, signer first); `peer` adds a second
 * member's signing key (the other side of the exchanges).
 */
export async function createBenchPki(member: string, peer?: string) {
  const root = await createRootCa({ name: 'CN=BENCH Root CA, O=BENCH' });
  const issuing = await createIssuingCa({ root, name: 'CN=BENCH Issuing CA, O=BENCH' });
  const issuingDer = Buffer.from(issuing.certificate.rawData).toString('base64');
  const issue = async (subject: string, profile: 'signing' | 'witness', owner?: string) => {
    const keys = await generateKeyPair();
    const csrPem = await createCsr({
      keys,
      subject,
      profile,
      ...(owner ? { member: parseMemberId(owner) } : {}),
    });
    const certificate = await issueCertificate({ ca: issuing, csrPem, profile });
    return { keys, chain: [Buffer.from(certificate.rawData).toString('base64'), issuingDer] };
  };
  return {
    anchorPem: toPem(root.certificate),
    certificatesPem: `${toPem(issuing.certificate).trim()}\n`,
    member: await issue(`CN=${member}, O=DEMO`, 'signing', member),
    peer: peer ? await issue(`CN=${peer}, O=DEMO`, 'signing', peer) : undefined,
    witness: await issue('CN=DEMO registry witness, O=DEMO', 'witness'),
  };
}
