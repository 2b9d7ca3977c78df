import type { VerifiedCertificate } from '../../certs/index.ts';
import {
  CHECKPOINT_TYPE,
  type Checkpoint,
  type CheckpointOrigin,
  COSIGNATURE_TYPE,
  type CosignedCheckpoint,
  canonicalJson,
  checkpointSchema,
  equalHashes,
  hashFromBase64,
  parseCheckpointOrigin,
} from '../../protocol/index.ts';
import { printMemberId } from '../../schemas/index.ts';
import { verifyConsistency } from '../merkle-verify.ts';
import type { BundleCheckpoint } from './bundle-format.ts';
import type { SignatureTrust } from './signature-trust.ts';

/** A checkpoint the auditor trusts from outside the bundle, and where it came from (for messages). */
export interface TrustedCheckpoint extends CosignedCheckpoint {
  /** E.g. `file latest.json` or `the witness at https://…`. */
  readonly source: string;
}

/** One thing wrong with one checkpoint of a bundle, or with the trusted checkpoint. */
export interface CheckpointProblem {
  readonly size: number;
  readonly message: string;
  /** The problem concerns the trusted checkpoint, not one of the bundle's. */
  readonly trusted?: boolean;
}

/** A signed root the records must reproduce at its size. */
export interface SignedRoot {
  readonly size: number;
  readonly root: Uint8Array;
  /** The trusted checkpoint's root (named so in messages). */
  readonly trusted?: boolean;
}

/** The outcome of checking a bundle's checkpoints on their own (before the records are read). */
export interface CheckedCheckpoints {
  /** Roots whose signature holds, smallest size first, the trusted checkpoint's among them. */
  readonly signed: SignedRoot[];
  /** Bundle checkpoints that count: signed by the log's owner and cosigned by the witness. */
  readonly witnessed: number;
  /**
   * Records `[0, witnessedSize)` are covered by a checkpoint that counts (the bundle's or the
   * trusted one); records past it are an unwitnessed tail.
   */
  readonly witnessedSize: number;
  readonly problems: CheckpointProblem[];
  /** Unwitnessed checkpoints accepted because the caller allowed them. */
  readonly unwitnessed: number[];
  /** The trusted checkpoints that hold. */
  readonly trusted: readonly { readonly size: number; readonly source: string }[];
}

/**
 * Checks the checkpoints of one log's bundle, and the checkpoint the auditor trusts, by the trust
 * rules of offline verification (docs/protocol.md §11.2):
 *
 * 1. A checkpoint counts only if its JWS (`typ` {@link CHECKPOINT_TYPE}) verifies with the key of
 *    its `x5c[0]`, that certificate chains to the auditor's anchor, was issued for `signing` and is
 *    valid at the checkpoint's time, and names the member that owns the gateway of the checkpoint's
 *    `origin` (`GATEWAY` or `GATEWAY#NODE`; the member is the gateway id's first three parts). A
 *    certificate of any other member, or of another profile, does not count.
 * 2. The origin is the bundle's log (`origin`), the same for every checkpoint.
 * 3. The stored row (size, root, time) is what was signed; sizes grow and times do not go back;
 *    a stored consistency proof from the previous checkpoint verifies (RFC 9162 §2.1.4.2).
 * 4. The cosignature (`typ` {@link COSIGNATURE_TYPE}) is over exactly the same checkpoint, and its
 *    signer's certificate chains to the anchor and was issued for `witness`: the registry's own
 *    witness key, never a member's, the directory's or a TLS key. Without a cosignature a
 *    checkpoint does not count; with `allowUnwitnessed` that is not a failure.
 * 5. The trusted checkpoint passes 1, 2 and 4 (a cosignature is required). The records must then
 *    reach its size and reproduce its root, and a bundle checkpoint of the same size must have the
 *    same root; so a bundle cut at an earlier checkpoint (rollback), cut short or with a rewritten
 *    tail fails, and the bundle's checkpoints are consistent with it.
 *
 * Whether each root matches the records is checked while the records stream by.
 *
 * @example
 * const checked = checkCheckpoints({ checkpoints, origin: 'DEMO/GOV/munich/gw1', trust, trusted });
 */
export function checkCheckpoints(input: {
  checkpoints: readonly BundleCheckpoint[];
  origin: string;
  trust: SignatureTrust;
  allowUnwitnessed?: boolean;
  trusted?: readonly TrustedCheckpoint[] | undefined;
}): CheckedCheckpoints {
  const problems: CheckpointProblem[] = [];
  const signed: SignedRoot[] = [];
  const unwitnessed: number[] = [];
  let witnessed = 0;
  let witnessedSize = 0;
  let previous: { size: number; root: Uint8Array; time: string } | undefined;
  for (const entry of input.checkpoints) {
    const { size } = entry;
    const problem = (message: string) => problems.push({ size, message });
    const statement = checkStatement(entry.jws, input);
    if (typeof statement === 'string') {
      problem(statement);
      continue;
    }
    const { checkpoint } = statement;
    if (checkpoint.size !== size || checkpoint.root !== entry.root) {
      problem(
        `the signed checkpoint says size ${checkpoint.size}, root ${checkpoint.root}; the stored row differs`,
      );
      continue;
    }
    let counts = true;
    if (Date.parse(checkpoint.time) !== Date.parse(entry.time)) {
      problem('the signed time differs from the stored time');
      counts = false;
    }
    if (entry.cosignature === null) {
      if (input.allowUnwitnessed) unwitnessed.push(size);
      else problem('no witness cosignature');
      counts = false;
    } else {
      const cosigned = checkCosignature(entry.cosignature, checkpoint, input);
      if (typeof cosigned === 'string') {
        problem(cosigned);
        counts = false;
      }
    }

    const root = hashFromBase64(entry.root);
    if (previous) {
      if (size <= previous.size) {
        problem(`size does not grow (previous checkpoint has size ${previous.size})`);
        counts = false;
      } else if (entry.consistency !== null) {
        try {
          verifyConsistency({
            oldSize: previous.size,
            newSize: size,
            oldRoot: previous.root,
            newRoot: root,
            proof: entry.consistency.map((h) => hashFromBase64(h)),
          });
        } catch {
          problem(`the consistency proof from size ${previous.size} does not verify`);
        }
      }
      if (Date.parse(entry.time) < Date.parse(previous.time))
        problem('signed earlier than the previous checkpoint');
    }
    previous = { size, root, time: entry.time };
    signed.push({ size, root });
    if (counts) {
      witnessed += 1;
      witnessedSize = Math.max(witnessedSize, size);
    }
  }

  const trusted: { size: number; source: string }[] = [];
  for (const candidate of input.trusted ?? []) {
    const checked = checkTrusted(candidate, input, signed);
    if ('problem' in checked) {
      problems.push({ size: checked.size, message: checked.problem, trusted: true });
      continue;
    }
    trusted.push({ size: checked.size, source: candidate.source });
    witnessedSize = Math.max(witnessedSize, checked.size);
    const at = signed.findIndex((s) => s.size >= checked.size);
    signed.splice(at === -1 ? signed.length : at, 0, { ...checked, trusted: true });
  }
  return { signed, witnessed, witnessedSize, problems, unwitnessed, trusted };
}

type Rules = { readonly origin: string; readonly trust: SignatureTrust };

/** A checkpoint that counts by rules 1, 2 and 4, with the certificates that signed and cosigned it. */
export interface WitnessedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The log its origin names: the gateway, the node, the member that owns them. */
  readonly log: CheckpointOrigin;
  /** The log owner's signing certificate, as the chain check found it. */
  readonly signer: VerifiedCertificate;
  /** The witness's certificate. */
  readonly witness: VerifiedCertificate;
}

/**
 * Rules 1, 2 and 4 for one cosigned checkpoint on its own, e.g. the one an evidence file or a
 * citizen's proof leads to: signed by the signing certificate of the member that owns the gateway
 * its origin names, cosigned over exactly it by the registry's witness certificate, both chaining
 * to the anchor at the checkpoint's time. `origin`, when given, is the log it must be of; without
 * it, any gateway's log. A string names why it does not count.
 *
 * @example
 * const checked = checkCosignedCheckpoint({ checkpoint: jws, cosignature }, { trust });
 * if (typeof checked === 'string') throw new EinmalError('Audit.InvalidCheckpoint', { message: checked });
 */
export function checkCosignedCheckpoint(
  cosigned: CosignedCheckpoint,
  rules: { readonly trust: SignatureTrust; readonly origin?: string },
): WitnessedCheckpoint | string {
  const statement = checkStatement(cosigned.checkpoint, rules);
  if (typeof statement === 'string') return statement;
  const witness = checkCosignature(cosigned.cosignature, statement.checkpoint, rules);
  if (typeof witness === 'string') return witness;
  return { ...statement, witness };
}

/** Checks the trusted checkpoint by rules 1, 2 and 4, and against a bundle checkpoint of its size. */
function checkTrusted(
  trusted: TrustedCheckpoint,
  rules: Rules,
  signed: readonly SignedRoot[],
): { size: number; root: Uint8Array } | { size: number; problem: string } {
  const from = `from ${trusted.source}`;
  const statement = checkStatement(trusted.checkpoint, rules);
  if (typeof statement === 'string') return { size: 0, problem: `${statement} (${from})` };
  const { checkpoint } = statement;
  const fail = (problem: string) => ({ size: checkpoint.size, problem: `${problem} (${from})` });
  const cosigned = checkCosignature(trusted.cosignature, checkpoint, rules);
  if (typeof cosigned === 'string') return fail(cosigned);
  const root = hashFromBase64(checkpoint.root);
  const same = signed.find((s) => s.size === checkpoint.size);
  if (same && !equalHashes(same.root, root)) {
    return fail(
      `the bundle's checkpoint of size ${checkpoint.size} has another root than the trusted one: the log was forked or rewritten`,
    );
  }
  return { size: checkpoint.size, root };
}

/**
 * Rules 1 and 2 for one checkpoint JWS (of the log `rules.origin` when given, else of any
 * gateway's log); a string names why it does not count.
 */
function checkStatement(
  jws: string,
  rules: { readonly trust: SignatureTrust; readonly origin?: string },
): Pick<WitnessedCheckpoint, 'checkpoint' | 'log' | 'signer'> | string {
  const claimed = readCheckpointClaim(jws);
  if (claimed === undefined) {
    return 'checkpoint signature: not a checkpoint statement (a JWS whose payload is a canonical checkpoint)';
  }
  const parsed = rules.trust.check(jws, { usage: 'signing', at: new Date(claimed.time) });
  if (typeof parsed === 'string') return `checkpoint signature: ${parsed}`;
  if (parsed.typ !== CHECKPOINT_TYPE) return `checkpoint signature: typ is not ${CHECKPOINT_TYPE}`;
  if (rules.origin !== undefined && claimed.origin !== rules.origin) {
    return `signed for log '${claimed.origin}', not this bundle's log '${rules.origin}'`;
  }
  const log = parseCheckpointOrigin(claimed.origin);
  if (!log) return `signed for '${claimed.origin}', which is not the log of a gateway`;
  const { member } = parsed.certificate;
  const signer = member ? printMemberId(member) : undefined;
  if (signer !== log.member) {
    return `checkpoint signature: signed by ${signer ? `member ${signer}` : 'a certificate naming no member'}; only a signing certificate of ${log.member}, the member of gateway ${log.gatewayId}, counts`;
  }
  return { checkpoint: claimed, log, signer: parsed.certificate };
}

/** Rule 4: the witness's certificate when `cosignature` is the witness's over exactly `checkpoint`. */
function checkCosignature(
  cosignature: string,
  checkpoint: Checkpoint,
  rules: { readonly trust: SignatureTrust },
): VerifiedCertificate | string {
  const parsed = rules.trust.check(cosignature, { usage: 'witness', at: new Date(checkpoint.time) });
  if (typeof parsed === 'string') {
    return `witness cosignature: ${parsed}; only the registry's witness certificate counts`;
  }
  if (parsed.typ !== COSIGNATURE_TYPE) return `witness cosignature: typ is not ${COSIGNATURE_TYPE}`;
  const covered = checkpointSchema.safeParse(parsed.payload);
  if (!covered.success || canonicalJson(covered.data) !== canonicalJson(checkpoint)) {
    return 'witness cosignature: it covers another checkpoint';
  }
  return parsed.certificate;
}

/**
 * The checkpoint a JWS claims, read before its signature is checked (the signing time decides
 * which certificates were valid, the origin which log it is for); only canonical JSON of a valid
 * checkpoint is one.
 */
export function readCheckpointClaim(jws: string): Checkpoint | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(parts[1]!, 'base64url'));
    const parsed = checkpointSchema.safeParse(JSON.parse(text));
    if (!parsed.success || canonicalJson(parsed.data) !== text) return undefined;
    return parsed.data;
  } catch {
    return undefined;
  }
}
