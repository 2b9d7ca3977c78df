/**
 * Provider-side access rights (DESIGN.md §7, like X-Road's service clients): a rule grants a subject
 * (a client, a global group from the directory, or a local group of this gateway) one service,
 * optionally narrowed to an HTTP method and a path pattern.
 */
export interface AccessRule {
  readonly id: number;
  /** A printed client id, `group:INSTANCE/CODE` (global group) or `local:CODE` (local group). */
  readonly subject: string;
  /** A printed service id. */
  readonly service: string;
  /** `null` grants every method. */
  readonly method: string | null;
  /** `null` grants every path; `*` matches one path segment, a trailing `**` any rest. */
  readonly pathPattern: string | null;
  /**
   * Whether the subject may also hide the accesses this rule grants from their data subject for a
   * while (`Einmal-Hidden-Until`, DESIGN.md §4), e.g. for an investigation. Off unless granted.
   */
  readonly mayHide: boolean;
}

/** What the caller is and which groups it belongs to, as resolved for one request. */
export interface AccessRequest {
  readonly client: string;
  readonly globalGroups: readonly string[];
  readonly localGroups: readonly string[];
  readonly service: string;
  readonly method: string;
  readonly path: string;
}

/** Whether `pattern` (X-Road endpoint style) matches `path`. */
export function matchesPathPattern(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const have = path.split('/');
  for (let i = 0; i < want.length; i++) {
    const part = want[i];
    if (part === '**' && i === want.length - 1) return true;
    if (i >= have.length) return false;
    if (part !== '*' && part !== have[i]) return false;
  }
  return want.length === have.length;
}

function subjectMatches(subject: string, request: AccessRequest): boolean {
  if (subject.startsWith('group:')) return request.globalGroups.includes(subject.slice('group:'.length));
  if (subject.startsWith('local:')) return request.localGroups.includes(subject.slice('local:'.length));
  return subject === request.client;
}

const grants = (rule: AccessRule, request: AccessRequest): boolean =>
  rule.service === request.service &&
  subjectMatches(rule.subject, request) &&
  (rule.method === null || rule.method === request.method) &&
  (rule.pathPattern === null || matchesPathPattern(rule.pathPattern, request.path));

/** Whether any of `rules` grants the request. */
export function isAccessGranted(rules: readonly AccessRule[], request: AccessRequest): boolean {
  return rules.some((rule) => grants(rule, request));
}

/**
 * What `rules` grant the request: access at all, and whether one of the rules granting it also
 * grants hiding the access from its subject.
 */
export function accessGrant(
  rules: readonly AccessRule[],
  request: AccessRequest,
): { readonly granted: boolean; readonly mayHide: boolean } {
  let granted = false;
  for (const rule of rules) {
    if (!grants(rule, request)) continue;
    if (rule.mayHide) return { granted: true, mayHide: true };
    granted = true;
  }
  return { granted, mayHide: false };
}

/** The endpoints a client may call per service, for the `allowedMethods` metaservice. */
export function grantedRules(
  rules: readonly AccessRule[],
  request: Omit<AccessRequest, 'service' | 'method' | 'path'>,
): AccessRule[] {
  return rules.filter((rule) =>
    subjectMatches(rule.subject, { ...request, service: '', method: '', path: '' }),
  );
}
