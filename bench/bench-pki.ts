import {
  createCsr,
  createIssuingCa,
  createRootCa,
  generateKeyPair,
  issueCertificate,
  toPem,
} from '../certs/index.ts';

/**
 * The PKI of an audit benchmark run, made at start: root, issuing CA, one member's signing key and
 * the witness's key, each with its x5c chain (base64 DER, signer first).
 */
export async function createBenchPki(member: string) {
  const root = await createRootCa({ name: 'CN=BENCH Root CA, O=BENCH' });
  const issuing = await createIssuingCa({ root, name: 'CN=BENCH Issuing CA, O=BENCH' });
  const issuingDer = Buffer.from(issuing.certificate.rawData).toString('base64');
  const issue = async (subject: string, profile: 'signing' | 'witness', owner?: string) => {
    const keys = await generateKeyPair();
    const [instance = '', memberClass = '', memberCode = ''] = owner?.split('/') ?? [];
    const csrPem = await createCsr({
      keys,
      subject,
      profile,
      ...(owner ? { member: { instance, memberClass, memberCode } } : {}),
    });
    const certificate = await issueCertificate({ ca: issuing, csrPem, profile });
    return { keys, chain: [Buffer.from(certificate.rawData).toString('base64'), issuingDer] };
  };
  return {
    anchorPem: toPem(root.certificate),
    certificatesPem: `${toPem(issuing.certificate).trim()}\n`,
    member: await issue(`CN=${member}, O=DEMO`, 'signing', member),
    witness: await issue('CN=DEMO registry witness, O=DEMO', 'witness'),
  };
}
