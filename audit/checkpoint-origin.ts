import { parseGatewayId, printGatewayId, printMemberId } from '../schemas/index.ts';

/** Node names as the gateway configuration allows them (`GATEWAY_NODE_ID`). */
const NODE_NAME = /^[A-Za-z0-9._/-]{1,200}$/;

/** What a checkpoint's `origin` names: a gateway's log, or one node's log of that gateway. */
export interface CheckpointOrigin {
  /** The printed gateway id, `INSTANCE/CLASS/MEMBER/SERVERCODE`. */
  readonly gatewayId: string;
  /** The node name after `#`, when the node has its own log name. */
  readonly node: string | undefined;
  /** The member that owns the gateway, `INSTANCE/CLASS/MEMBER`: the only one whose key signs it. */
  readonly member: string;
}

/**
 * Reads a checkpoint origin, `DEMO/GOV/munich/gw1` or `DEMO/GOV/munich/gw1#node2`, in the one
 * form {@link logOrigin} writes; `undefined` when it is not one.
 *
 * @example
 * parseCheckpointOrigin('DEMO/GOV/munich/gw1#node2');
 * // { gatewayId: 'DEMO/GOV/munich/gw1', node: 'node2', member: 'DEMO/GOV/munich' }
 */
export function parseCheckpointOrigin(origin: string): CheckpointOrigin | undefined {
  const hash = origin.indexOf('#');
  const gatewayPart = hash === -1 ? origin : origin.slice(0, hash);
  const node = hash === -1 ? undefined : origin.slice(hash + 1);
  if (node !== undefined && !NODE_NAME.test(node)) return undefined;
  try {
    const gateway = parseGatewayId(gatewayPart);
    if (printGatewayId(gateway) !== gatewayPart) return undefined;
    // A node whose log is named after the gateway signs as the gateway: one origin per log.
    if (node === gatewayPart) return undefined;
    return { gatewayId: gatewayPart, node, member: printMemberId(gateway) };
  } catch {
    return undefined;
  }
}

/**
 * The origin a gateway node's checkpoints carry: the gateway id when the node's log tree is named
 * after the gateway (one node, the default), else `GATEWAY#TREE`.
 *
 * @example
 * logOrigin('DEMO/GOV/munich/gw1', 'node2'); // 'DEMO/GOV/munich/gw1#node2'
 */
export function logOrigin(gatewayId: string, tree: string): string {
  return tree === gatewayId ? gatewayId : `${gatewayId}#${tree}`;
}
