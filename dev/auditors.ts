/**
 * Test auditors of the development federation: staff of a data protection authority and of an
 * agency, who log in at the development eID provider with their staff account. Their access tokens
 * carry the `auditor` role and, as `entitlements`, the members whose logs they may audit
 * (`urn:einmal:DEMO` for every member of the instance); each gateway checks both (docs/protocol.md §12).
 */
export interface TestAuditor {
  /** The staff account id, the token's `sub`. */
  readonly id: string;
  readonly givenName: string;
  readonly familyName: string;
  /** Where the auditor works, shown at login. */
  readonly office: string;
  /** Member or instance URNs whose logs the auditor may read. */
  readonly entitlements: readonly string[];
}

export const testAuditors: readonly TestAuditor[] = [
  {
    id: 'DESTAFF00001',
    givenName: 'Petra',
    familyName: 'Weber',
    office: 'State data protection authority: every agency of the federation',
    entitlements: ['urn:einmal:DEMO'],
  },
  {
    id: 'DESTAFF00002',
    givenName: 'Jonas',
    familyName: 'Becker',
    office: 'Data protection officer of Landeshauptstadt München: its own log only',
    entitlements: ['urn:einmal:DEMO:GOV:munich'],
  },
];
