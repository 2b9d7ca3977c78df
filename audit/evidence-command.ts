import { readFile } from 'node:fs/promises';
import { createChainVerifier, parseCertificateBundle } from '../certs/index.ts';
import { type Command, type CommandInput, requireOption, requirePositional } from '../cli/command.ts';
import { EinmalError, isEinmalError } from '../core/index.ts';
import { checkpointCertificates } from '../protocol/index.ts';
import { type Evidence, parseEvidence, verifyEvidenceItem } from './bundle/evidence.ts';
import { createSignatureTrust } from './bundle/signature-trust.ts';

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new EinmalError('Config.FileMissing', { message: `The ${what} '${path}' cannot be read` });
  }
}

/** Base64 DER certificates the evidence's signatures carry, to link signers to the anchor. */
function carriedCertificates(evidence: Evidence): Uint8Array[] {
  const all = new Set<string>();
  for (const item of evidence.items) {
    for (const jws of [item.checkpoint, item.cosignature]) {
      try {
        for (const der of checkpointCertificates(jws)) all.add(der);
      } catch {
        // A malformed signature is named when its item is verified.
      }
    }
  }
  return [...all].map((der) => new Uint8Array(Buffer.from(der, 'base64')));
}

async function runVerifyEvidence(input: CommandInput): Promise<number> {
  const file = requirePositional(input, 0, 'FILE');
  const anchorPem = await readText(requireOption(input, 'anchor'), 'anchor certificate file');
  const evidence = parseEvidence(await readText(file, 'evidence file'));
  // The carried certificates only link a signer to the anchor; they are trusted for nothing else.
  const trust = createSignatureTrust({
    verifier: createChainVerifier({
      anchors: parseCertificateBundle(anchorPem),
      intermediates: carriedCertificates(evidence),
    }),
  });
  let failures = 0;
  for (const [i, item] of evidence.items.entries()) {
    try {
      const { record, witnessed } = await verifyEvidenceItem(item, trust);
      const { checkpoint } = witnessed;
      input.print(
        `record ${i + 1}: OK: the ${record.side} record of ${record.gateway} for message ${record.messageId}` +
          ` (logged ${record.logTime}) is leaf ${item.leafIndex} of ${checkpoint.size} in the log` +
          ` '${checkpoint.origin}', checkpoint of ${checkpoint.time} signed by` +
          ` ${witnessed.signer.chain[0]?.subject} and cosigned by the witness ${witnessed.witness.chain[0]?.subject}`,
      );
    } catch (error) {
      if (!isEinmalError(error)) throw error;
      failures += 1;
      input.print(`record ${i + 1}: FAIL ${error.code}: ${error.message}`);
    }
  }
  input.print(
    failures === 0
      ? `OK: ${evidence.items.length} record(s) verified against the anchor (revocations are not known offline)`
      : `FAILED: ${failures} of ${evidence.items.length} record(s)`,
  );
  return failures === 0 ? 0 : 1;
}

/**
 * `einmal audit verify-evidence FILE --anchor PEM`: checks a portal evidence file offline (each
 * record in its gateway's log, under a checkpoint signed by the gateway's member and cosigned by
 * the witness). Exit code 0 when every record verifies, 1 otherwise.
 */
export const verifyEvidenceCommand: Command = {
  name: 'verify-evidence',
  summary: 'Verify an evidence file from the portal offline: record, inclusion proof, signed checkpoint',
  args: 'FILE',
  options: {
    anchor: {
      type: 'string',
      description: 'PEM file of the federation root certificate (required)',
      placeholder: 'PEM',
    },
  },
  run: runVerifyEvidence,
};
