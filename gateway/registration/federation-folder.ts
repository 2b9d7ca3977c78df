import type { MemberSigningPem } from './gateway-init.ts';

/**
 * A folder of federation credentials, such as the one `einmal dev init` writes, that the command
 * line may read instead of single files (`--federation-dir`). The composition root (cli/) hands in
 * the reader; the gateway itself knows no such folder.
 */
export interface FederationFolder {
  /** The member's signing key and chain, and the peer port the folder plans for `gateway`, if any. */
  memberSigning(
    dir: string,
    member: string,
    gateway: string,
  ): Promise<MemberSigningPem & { readonly gatewayPort: number | undefined }>;
  /** The federation root certificate (PEM). */
  rootCaPem(dir: string): Promise<string>;
}
