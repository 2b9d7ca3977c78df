import { describe, expect, it } from 'vitest';
import { createSessionStore } from './session-store.ts';

const user = (expiresAt: number) => ({
  role: 'citizen' as const,
  subject: 'DE65402138797',
  issuer: 'http://127.0.0.1:4402',
  name: 'Anna Huber',
  accessToken: 'token',
  expiresAt,
});

describe('portal sessions', () => {
  it('ends a session after the idle time and says so for a while, then forgets it', () => {
    let now = 0;
    const store = createSessionStore({ clock: () => now, idleMs: 1000 });
    const session = store.create();
    now = 900;
    expect(store.get(session.id).status).toBe('active');
    now = 1800;
    expect(store.get(session.id).status).toBe('active');
    now = 2801;
    expect(store.get(session.id).status).toBe('expired');
    expect(store.get(session.id).status).toBe('expired');
    now = 5000;
    expect(store.get(session.id).status).toBe('unknown');
  });

  it('ends a session when its access token expires, however active it is', () => {
    let now = 0;
    const store = createSessionStore({ clock: () => now, idleMs: 60_000 });
    const session = store.create();
    session.user = user(500);
    now = 499;
    expect(store.get(session.id).status).toBe('active');
    now = 500;
    expect(store.get(session.id).status).toBe('expired');
  });

  it('knows no session by a made-up, changed or malformed id', () => {
    const store = createSessionStore({ clock: () => 0, idleMs: 1000 });
    const session = store.create();
    const changed = `${session.id.slice(0, -1)}${session.id.endsWith('A') ? 'B' : 'A'}`;
    for (const id of [changed, 'x', '', `${session.id}x`, session.id.replace(/./, '/')]) {
      expect(store.get(id).status, id).toBe('unknown');
    }
  });

  it('rotates the id and the CSRF token at login, keeping the data, and drops the old id', () => {
    const store = createSessionStore({ clock: () => 0, idleMs: 1000 });
    const before = store.create();
    before.data.set('x', 1);
    const after = store.rotate(before);
    expect(after.id).not.toBe(before.id);
    expect(after.csrf).not.toBe(before.csrf);
    expect(after.data.get('x')).toBe(1);
    expect(store.get(before.id).status).toBe('unknown');
    expect(store.get(after.id).status).toBe('active');
  });

  it('keeps at most the configured number of sessions, dropping the least recently used', () => {
    let now = 0;
    const store = createSessionStore({ clock: () => now, idleMs: 10_000, maxSessions: 2 });
    const a = store.create();
    now = 1;
    const b = store.create();
    now = 2;
    store.get(a.id);
    now = 3;
    store.create();
    expect(store.size()).toBe(2);
    expect(store.get(a.id).status).toBe('active');
    expect(store.get(b.id).status).toBe('expired');
  });

  it('never lets a flood of anonymous visits push a logged-in person out', () => {
    let now = 0;
    const store = createSessionStore({ clock: () => now, idleMs: 3_600_000, maxSessions: 10 });
    const anna = store.create();
    anna.user = user(3_600_000);
    for (let i = 0; i < 1000; i += 1) {
      now += 1;
      store.create();
    }
    expect(store.size()).toBe(10);
    expect(store.get(anna.id).status).toBe('active');
    // Without a login a session lasts ten idle minutes at most.
    const visitor = store.create();
    now += 10 * 60_000 + 1;
    expect(store.get(visitor.id).status).toBe('expired');
    expect(store.get(anna.id).status).toBe('active');
  });
});
