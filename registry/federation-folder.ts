import type { OperatorCredentials } from './admin-client.ts';

/**
 * A folder of federation credentials, such as the one `einmal dev init` writes, that the command
 * line may read instead of single files (`--federation`). The composition root (cli/) hands in the
 * reader; the registry itself knows no such folder.
 */
export interface FederationFolder {
  operatorCredentials(dir: string): Promise<OperatorCredentials>;
  /** The federation root certificate (PEM). */
  rootCaPem(dir: string): Promise<string>;
}
