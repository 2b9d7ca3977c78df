import type { BundleCheckpoint } from './bundle-format.ts';
import { checkpointCertificates, verifyCheckpoint, verifyCosignature } from './checkpoint.ts';
import { hashFromBase64 } from './hash-codec.ts';
import { verifyConsistency } from './merkle-verify.ts';
import type { SignatureTrust } from './signature-trust.ts';

/** One thing wrong with one checkpoint of a bundle. */
export interface CheckpointProblem {
  readonly size: number;
  readonly message: string;
}

/** The outcome of checking a bundle's checkpoints on their own (before the records are read). */
export interface CheckedCheckpoints {
  /** Checkpoints whose own signature holds, smallest first, with their roots decoded. */
  readonly signed: { readonly size: number; readonly root: Uint8Array }[];
  readonly witnessed: number;
  readonly problems: CheckpointProblem[];
  /** Unwitnessed checkpoints accepted because the caller allowed them. */
  readonly unwitnessed: number[];
}

/**
 * Checks every checkpoint of a bundle: the node's signature and its chain to the anchor, the
 * signed payload against the stored row (`origin` = the bundle's tree), the witness's cosignature
 * over the same checkpoint and its chain, sizes growing, and the stored consistency proof from the
 * previous checkpoint (RFC 9162 §2.1.4.2). Whether each root matches the records is checked while
 * the records stream by.
 *
 * @example
 * const { signed, problems } = await checkCheckpoints({ checkpoints, tree: manifest.tree, trust });
 */
export async function checkCheckpoints(input: {
  checkpoints: readonly BundleCheckpoint[];
  tree: string;
  trust: SignatureTrust;
  allowUnwitnessed?: boolean;
}): Promise<CheckedCheckpoints> {
  const problems: CheckpointProblem[] = [];
  const signed: CheckedCheckpoints['signed'] = [];
  const unwitnessed: number[] = [];
  let witnessed = 0;
  let previous: { size: number; root: Uint8Array; time: string } | undefined;
  for (const entry of input.checkpoints) {
    const { size } = entry;
    const problem = (message: string) => problems.push({ size, message });
    const at = new Date(entry.time);
    const node = input.trust.check(entry.jws, { at });
    if (typeof node === 'string') {
      problem(`checkpoint signature: ${node}`);
      continue;
    }
    let checkpoint: Awaited<ReturnType<typeof verifyCheckpoint>>;
    try {
      checkpoint = await verifyCheckpoint(entry.jws, { certificate: checkpointCertificates(entry.jws)[0]! });
    } catch {
      problem('checkpoint signature: not a valid checkpoint statement');
      continue;
    }
    if (checkpoint.size !== size || checkpoint.root !== entry.root) {
      problem(
        `the signed checkpoint says size ${checkpoint.size}, root ${checkpoint.root}; the stored row differs`,
      );
      continue;
    }
    if (Date.parse(checkpoint.time) !== at.getTime()) problem('the signed time differs from the stored time');
    if (checkpoint.origin !== input.tree)
      problem(`signed for log '${checkpoint.origin}', not '${input.tree}'`);

    if (entry.cosignature === null) {
      if (input.allowUnwitnessed) unwitnessed.push(size);
      else problem('no witness cosignature');
    } else {
      const witness = input.trust.check(entry.cosignature, { at });
      if (typeof witness === 'string') {
        problem(`witness cosignature: ${witness}`);
      } else {
        try {
          const certificate = checkpointCertificates(entry.cosignature)[0]!;
          await verifyCosignature(entry.cosignature, { certificate }, checkpoint);
          witnessed += 1;
        } catch {
          problem('witness cosignature: it covers another checkpoint or is not a cosignature');
        }
      }
    }

    const root = hashFromBase64(entry.root);
    if (previous) {
      if (size <= previous.size)
        problem(`size does not grow (previous checkpoint has size ${previous.size})`);
      else if (entry.consistency !== null) {
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
  }
  return { signed, witnessed, problems, unwitnessed };
}
