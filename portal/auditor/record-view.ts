import { X509Certificate } from 'node:crypto';
import {
  checkRecord,
  type EvidenceItem,
  readCanonicalRecord,
  verifyEvidenceItem,
} from '../../audit/bundle/index.ts';
import { isEinmalError } from '../../core/index.ts';
import { checkpointCertificates } from '../../protocol/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import type { FederationView, PortalGateway } from '../federation/federation-view.ts';
import type { GatewayClient, GatewayFailure } from '../federation/gateway-client.ts';
import { auditorRecordSchema } from './auditor-answers.ts';

/** Who signed a request or response: the certificate subject, or why it cannot be read. */
export interface SignerView {
  readonly subject: string | null;
  readonly serial: string | null;
}

/** One log record as the auditor's record page shows it, with every check the portal made. */
export interface RecordView {
  readonly gateway: PortalGateway;
  readonly tree: string;
  readonly leafIndex: number;
  readonly canonical: string;
  readonly record: AuditRecord | null;
  /** What the record checks found wrong (hash, schema, signatures); empty when all hold. */
  readonly problems: readonly string[];
  readonly signaturesVerified: number;
  readonly requestSigner: SignerView | null;
  readonly responseSigner: SignerView | null;
  /** The inclusion proof and its check, `null` while the record is not yet under a witnessed checkpoint. */
  readonly proof: {
    readonly evidence: EvidenceItem;
    readonly leafHash: string;
    readonly checkpoint: { readonly size: number; readonly root: string; readonly time: string };
    readonly verified: boolean;
    readonly problem: string | null;
    readonly signer: string | null;
    readonly witness: string | null;
  } | null;
}

function signerOf(jws: string | null): SignerView | null {
  if (jws === null) return null;
  try {
    const [leaf] = checkpointCertificates(jws);
    const certificate = new X509Certificate(Buffer.from(leaf!, 'base64'));
    return { subject: certificate.subject.replaceAll('\n', ', '), serial: certificate.serialNumber };
  } catch {
    return { subject: null, serial: null };
  }
}

/**
 * Reads one record from a gateway's auditor API (with the auditor's token) and checks it as the
 * offline verifier would: its canonical text hashes to the leaf the log holds, it is a valid audit
 * record, both exchange signatures verify with signers chaining to the anchor, and its inclusion
 * proof leads to a checkpoint signed by the gateway's member and cosigned by the witness.
 *
 * @example
 * const view = await readRecordView({ view, client, token, gateway, tree, leafIndex: 42 });
 */
export async function readRecordView(input: {
  readonly view: FederationView;
  readonly client: GatewayClient;
  readonly token: string;
  readonly gateway: PortalGateway;
  readonly tree: string;
  readonly leafIndex: number;
}): Promise<RecordView | GatewayFailure> {
  const query = new URLSearchParams({ tree: input.tree, index: String(input.leafIndex) });
  const answer = await input.client.getJson(
    `${input.gateway.publicAddress}/audit/v1/record?${query}`,
    input.token,
  );
  if (!answer.ok) return answer.failure;
  const parsed = auditorRecordSchema.safeParse(answer.body);
  if (!parsed.success || parsed.data.tree !== input.tree || parsed.data.leafIndex !== input.leafIndex) {
    return { kind: 'invalid' };
  }
  const { canonical, proof, checkpoint } = parsed.data;
  const { trust } = input.view;
  const checked = checkRecord({ canonical, storedLeaf: proof?.leafHash ?? null, trust });
  const problems = checked.problems.map((p) => `${p.field}: ${p.message}`);
  let record: AuditRecord | null = null;
  try {
    record = readCanonicalRecord(canonical);
  } catch {
    // The record checks above name what is wrong with it.
  }
  let proofView: RecordView['proof'] = null;
  if (proof && checkpoint) {
    const evidence: EvidenceItem = {
      record: canonical,
      leafIndex: input.leafIndex,
      treeSize: proof.treeSize,
      inclusionProof: proof.inclusionProof,
      checkpoint: checkpoint.jws,
      cosignature: checkpoint.cosignature,
    };
    const base = {
      evidence,
      leafHash: proof.leafHash,
      checkpoint: { size: checkpoint.size, root: checkpoint.root, time: checkpoint.time },
    };
    try {
      const verified = await verifyEvidenceItem(evidence, trust);
      proofView = {
        ...base,
        verified: verified.record.gateway === input.gateway.id,
        problem:
          verified.record.gateway === input.gateway.id
            ? null
            : 'the record is from the log of another gateway',
        signer: verified.witnessed.signer.chain[0]?.subject ?? null,
        witness: verified.witnessed.witness.chain[0]?.subject ?? null,
      };
    } catch (error) {
      if (!isEinmalError(error)) throw error;
      proofView = { ...base, verified: false, problem: error.message, signer: null, witness: null };
    }
  }
  return {
    gateway: input.gateway,
    tree: input.tree,
    leafIndex: input.leafIndex,
    canonical,
    record,
    problems,
    signaturesVerified: checked.signatures,
    requestSigner: signerOf(record?.requestSignature ?? null),
    responseSigner: signerOf(record?.responseSignature ?? null),
    proof: proofView,
  };
}
